/* Unit tests for tls/tls_sni.c: which certificate answers a server name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tls/tls_sni.h"

#include <string.h>

static bool match(const char *pattern, const char *name)
{
    return tls_sni_match(pattern, name, strlen(name));
}

static void test_exact_ignores_case(void **state)
{
    (void)state;
    assert_true(match("www.foobar.com", "www.foobar.com"));
    assert_true(match("www.foobar.com", "WWW.FooBar.COM"));
    assert_false(match("www.foobar.com", "www.foobar.co"));
    assert_false(match("www.foobar.com", "www.foobar.com.")); /* length counts */
    assert_false(match("www.foobar.com", ""));
}

static void test_wildcard_one_label(void **state)
{
    (void)state;
    assert_true(match("*.foobar.com", "a.foobar.com"));
    assert_true(match("*.foobar.com", "API.FOOBAR.COM"));
    assert_false(match("*.foobar.com", "foobar.com"));     /* no label */
    assert_false(match("*.foobar.com", ".foobar.com"));    /* empty label */
    assert_false(match("*.foobar.com", "a.b.foobar.com")); /* two labels */
    assert_false(match("*.foobar.com", "afoobar.com"));
    assert_false(match("*foobar.com", "afoobar.com")); /* '*' must be a label */
}

static void test_name_not_nul_terminated(void **state)
{
    (void)state;
    const char wire[] = "www.foobar.comXXXX"; /* clients send a length, not a NUL */
    assert_true(tls_sni_match("www.foobar.com", wire, 14));
    assert_false(tls_sni_match("www.foobar.com", wire, 15));
}

static void test_pick_prefers_exact_then_wildcard_then_default(void **state)
{
    (void)state;
    const char *const names[] = {"www.foobar.com", "*.foobar.com", "api.foobar.com"};
    assert_int_equal(tls_sni_pick(names, 3, "api.foobar.com", 14), 2); /* exact beats earlier wildcard */
    assert_int_equal(tls_sni_pick(names, 3, "img.foobar.com", 14), 1);
    assert_int_equal(tls_sni_pick(names, 3, "www.foobar.com", 14), 0);
    assert_int_equal(tls_sni_pick(names, 3, "other.org", 9), 0); /* default */
    assert_int_equal(tls_sni_pick(names, 0, "other.org", 9), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_ignores_case),
        cmocka_unit_test(test_wildcard_one_label),
        cmocka_unit_test(test_name_not_nul_terminated),
        cmocka_unit_test(test_pick_prefers_exact_then_wildcard_then_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
