/* Unit-test helpers for policy text (see t_policy.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/helpers/t_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct policy_diags t_policy_diags;

struct policy *t_policy_load(const char *text)
{
    memset(&t_policy_diags, 0, sizeof t_policy_diags);
    return policy_load_text(T_POLICY_FILE, text, &t_policy_diags);
}

/* On a mismatch, shows every diagnostic before cmocka's assertion does. */
static void t_policy_show(bool mismatch, const char *msg)
{
    if (!mismatch)
        return;
    policy_diags_print(&t_policy_diags, stderr);
    if (msg)
        fprintf(stderr, "expected: %s\n", msg);
}

void t_policy_refused(const char *text, const char *msg)
{
    struct policy *pol = t_policy_load(text);
    const struct policy_diags *d = &t_policy_diags;
    t_policy_show(pol || d->errors != 1 || strcmp(d->msg[0], msg) != 0, msg);
    assert_null(pol);
    assert_int_equal(d->errors, 1);
    assert_string_equal(d->msg[0], msg);
}

void t_policy_warned(const char *text, const char *msg)
{
    struct policy *pol = t_policy_load(text);
    const struct policy_diags *d = &t_policy_diags;
    t_policy_show(!pol || d->warnings != 1 || strcmp(d->msg[0], msg) != 0, msg);
    assert_non_null(pol);
    assert_int_equal(d->errors, 0);
    assert_int_equal(d->warnings, 1);
    assert_string_equal(d->msg[0], msg);
    policy_free(pol);
}

void t_policy_clean(const char *text)
{
    struct policy *pol = t_policy_load(text);
    t_policy_show(!pol || t_policy_diags.n, NULL);
    assert_non_null(pol);
    assert_int_equal(t_policy_diags.errors + t_policy_diags.warnings, 0);
    policy_free(pol);
}

struct policy *t_policy_must_load(const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    struct policy *pol = t_policy_load(text);
    free(text);
    t_policy_show(!pol, NULL);
    assert_non_null(pol);
    return pol;
}
