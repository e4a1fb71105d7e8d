/*
 * t_log: the daemon's log lines (common/log.h) captured for a test to
 * read: log_setup points the logger at a memfd, and t_log_has looks for a
 * line holding every given piece. Each line is one write(2), so lines from
 * worker threads arrive whole. Names carry t_log_; one capture per
 * process, set up before any thread starts.
 */
#ifndef RAMPART_TESTS_UNIT_HELPERS_T_LOG_H
#define RAMPART_TESTS_UNIT_HELPERS_T_LOG_H

#include <stdbool.h>

#define T_LOG_MAX (1024 * 1024) /* what t_log_has reads back */

/* 0, or -1 with errno (no memfd). Plain format, every level. */
int t_log_capture(void);
/* Forgets what was logged so far. */
void t_log_clear(void);
/* A line that holds `a` and, when not NULL, `b`. */
bool t_log_has(const char *a, const char *b);
/* How many lines do. */
unsigned t_log_count(const char *a, const char *b);
/* Prints the captured lines (for a failing test). */
void t_log_dump(void);

#endif /* RAMPART_TESTS_UNIT_HELPERS_T_LOG_H */
