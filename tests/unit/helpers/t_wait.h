/*
 * t_wait: "eventually, within a generous deadline" for tests on real
 * time (VRRP timers, worker threads). A condition is polled every
 * T_WAIT_POLL_MS, on a loop the test runs (t_wait_loop: the loop's own
 * timers and sockets are served meanwhile) or by sleeping (t_wait_sleep:
 * another thread does the work). The deadline only bounds a failing test;
 * nothing is asserted about how long a passing one took, so a loaded
 * machine makes a test slower, never red. Names carry t_wait_.
 */
#ifndef RAMPART_TESTS_UNIT_HELPERS_T_WAIT_H
#define RAMPART_TESTS_UNIT_HELPERS_T_WAIT_H

#include "gateway/event/loop.h"

#include <stdbool.h>
#include <stdint.h>

#define T_WAIT_POLL_MS 5
#define T_WAIT_LONG_MS 20000 /* the generous deadline the tests pass */

typedef bool (*t_wait_cond)(void *arg);

/* Runs `loop` until cond(arg) holds (true) or max_ms passed (false). The
 * loop must not be running already; it is stopped again on return. */
bool t_wait_loop(struct loop *loop, t_wait_cond cond, void *arg, uint64_t max_ms);
/* Runs `loop` for ms (its timers and sockets served), whatever happens. */
void t_wait_run_for(struct loop *loop, uint64_t ms);
/* Sleeps between polls instead. */
bool t_wait_sleep(t_wait_cond cond, void *arg, uint64_t max_ms);

#endif /* RAMPART_TESTS_UNIT_HELPERS_T_WAIT_H */
