/* Unit tests for common/parse.c: the value parsers behind config and policy files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/parse.h"

#include <string.h>

static void test_int_range_bounds(void **state)
{
    (void)state;
    char why[PARSE_WHY_MAX];
    long long v;
    assert_int_equal(parse_int_range("1", 1, 65535, &v, why), 0);
    assert_int_equal(v, 1);
    assert_int_equal(parse_int_range("65535", 1, 65535, &v, why), 0);
    assert_int_equal(parse_int_range("65536", 1, 65535, &v, why), -1);
    assert_string_equal(why, "65536 out of range 1-65535");
    assert_int_equal(parse_int_range("0", 1, 65535, &v, why), -1);
    assert_int_equal(parse_int_range("-1", 0, 10, &v, why), -1);
    assert_string_equal(why, "'-1' is not a whole number");
    assert_int_equal(parse_int_range("12x", 0, 100, &v, why), -1);
    assert_int_equal(parse_int_range("", 0, 100, &v, why), -1);
    assert_int_equal(parse_int_range("99999999999999999999999", 0, 100, &v, why), -1);
}

static void test_bool(void **state)
{
    (void)state;
    char why[PARSE_WHY_MAX];
    bool b = false;
    assert_int_equal(parse_bool("YES", &b, why), 0);
    assert_true(b);
    assert_int_equal(parse_bool("off", &b, why), 0);
    assert_false(b);
    assert_int_equal(parse_bool("maybe", &b, why), -1);
    assert_string_equal(why, "'maybe' is not a boolean (yes/no, on/off, true/false)");
}

static void test_duration(void **state)
{
    (void)state;
    char why[PARSE_WHY_MAX];
    uint64_t ms;
    assert_int_equal(parse_duration_ms("250ms", 86400000, &ms, why), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(parse_duration_ms("10", 86400000, &ms, why), 0);
    assert_int_equal(ms, 10000);
    assert_int_equal(parse_duration_ms("5m", 86400000, &ms, why), 0);
    assert_int_equal(ms, 300000);
    assert_int_equal(parse_duration_ms("2d", 86400000, &ms, why), -1);
    assert_string_equal(why, "2d is longer than the maximum 86400000ms");
    assert_int_equal(parse_duration_ms("10 s", 86400000, &ms, why), -1);
    assert_int_equal(parse_duration_ms("s", 86400000, &ms, why), -1);
}

static void test_size(void **state)
{
    (void)state;
    char why[PARSE_WHY_MAX];
    uint64_t n;
    assert_int_equal(parse_size("16k", 1 << 20, &n, why), 0);
    assert_int_equal(n, 16384);
    assert_int_equal(parse_size("1m", 1 << 20, &n, why), 0);
    assert_int_equal(parse_size("1025k", 1 << 20, &n, why), -1);
    assert_int_equal(parse_size("12q", 1 << 20, &n, why), -1);
    assert_string_equal(why, "'12q' is not a size (e.g. 8192, 16k, 10m)");
}

static void test_prefix(void **state)
{
    (void)state;
    char why[PARSE_WHY_MAX];
    struct ip_prefix p;
    assert_int_equal(parse_prefix("198.18.0.0/15", &p, why), 0);
    assert_int_equal(p.len, 15);
    assert_int_equal(parse_prefix("198.18.0.7", &p, why), 0);
    assert_int_equal(p.len, 32);
    assert_int_equal(parse_prefix("2001:db8::/32", &p, why), 0);
    assert_int_equal(p.addr.family, AF_INET6);
    assert_int_equal(parse_prefix("198.18.0.1/24", &p, why), -1);
    assert_string_equal(why, "'198.18.0.1/24' has host bits set beyond /24");
    assert_int_equal(parse_prefix("198.18.0.0/33", &p, why), -1);
    assert_int_equal(parse_prefix("not-an-ip", &p, why), -1);
}

static void test_sockaddr(void **state)
{
    (void)state;
    char why[PARSE_WHY_MAX], buf[PARSE_ADDR_STR_MAX];
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(parse_sockaddr("127.0.0.1:9100", &ss, &len, why), 0);
    assert_string_equal(format_sockaddr((struct sockaddr *)&ss, buf, sizeof buf), "127.0.0.1:9100");
    assert_int_equal(parse_sockaddr("[2001:db8::1]:443", &ss, &len, why), 0);
    assert_string_equal(format_sockaddr((struct sockaddr *)&ss, buf, sizeof buf), "[2001:db8::1]:443");
    assert_int_equal(parse_sockaddr("*:443", &ss, &len, why), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(parse_sockaddr("127.0.0.1:0", &ss, &len, why), -1);
    assert_string_equal(why, "'127.0.0.1:0': port must be 1-65535");
    assert_int_equal(parse_sockaddr("127.0.0.1", &ss, &len, why), -1);
    assert_int_equal(parse_sockaddr("example.com:80", &ss, &len, why), -1);
}

static void test_split_list(void **state)
{
    (void)state;
    char text[] = "a, b c,,d";
    char *items[3];
    assert_int_equal(parse_split_list(text, items, 3), -1);
    char text2[] = " a, b ";
    assert_int_equal(parse_split_list(text2, items, 3), 2);
    assert_string_equal(items[1], "b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_range_bounds), cmocka_unit_test(test_bool),
        cmocka_unit_test(test_duration),         cmocka_unit_test(test_size),
        cmocka_unit_test(test_prefix),           cmocka_unit_test(test_sockaddr),
        cmocka_unit_test(test_split_list),
    };
    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
