/*
 * Unit-test helpers for the policy reader and checks: load policy text and
 * assert what the diagnostics say. Linked into every unit test (the
 * Makefile globs the helpers folder); names carry t_policy_.
 *
 * Not thread-safe: the diagnostics of the last load live in one global,
 * t_policy_diags, which the tests read. Policies returned are the caller's
 * to policy_free().
 */
#ifndef RAMPART_TESTS_UNIT_HELPERS_T_POLICY_H
#define RAMPART_TESTS_UNIT_HELPERS_T_POLICY_H

#include "firewall/policy.h"

#define T_POLICY_FILE "t.policy" /* the name messages carry */

/* The diagnostics of the last load. */
extern struct policy_diags t_policy_diags;

/* policy_load_text of `text`, named T_POLICY_FILE; NULL when refused. */
struct policy *t_policy_load(const char *text);

/* Refused with exactly this one message. */
void t_policy_refused(const char *text, const char *msg);
/* Accepted, with exactly this one warning. */
void t_policy_warned(const char *text, const char *msg);
/* Accepted without a word. */
void t_policy_clean(const char *text);

/* Loads the printf-formatted text and fails the test (printing the
 * diagnostics) unless it is accepted. */
struct policy *t_policy_must_load(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* RAMPART_TESTS_UNIT_HELPERS_T_POLICY_H */
