/* Unit tests for common/textbuf.c: growth, printf, the size limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/textbuf.h"

#include <string.h>

static void test_grows_and_terminates(void **state)
{
    (void)state;
    struct textbuf tb = TEXTBUF_INIT;
    for (int i = 0; i < 1000; i++)
        textbuf_printf(&tb, "%04d,", i);
    assert_false(tb.failed);
    assert_int_equal(tb.len, 5000);
    assert_int_equal(strlen(tb.data), 5000);
    assert_memory_equal(tb.data + 4995, "0999,", 5);
    textbuf_reset(&tb);
    assert_int_equal(tb.len, 0);
    assert_string_equal(tb.data, "");
    textbuf_free(&tb);
}

/* A printf longer than the internal stack buffer takes the second path. */
static void test_long_printf(void **state)
{
    (void)state;
    struct textbuf tb = TEXTBUF_INIT;
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    textbuf_printf(&tb, "<%s>", big);
    assert_int_equal(tb.len, 1001);
    assert_int_equal(tb.data[1000], '>');
    textbuf_free(&tb);
}

/* Boundary: limit - 1 bytes fit (plus the NUL), one more marks it failed
 * and later appends are ignored. */
static void test_limit(void **state)
{
    (void)state;
    struct textbuf tb = TEXTBUF_INIT;
    tb.limit = 64;
    char data[64];
    memset(data, 'a', sizeof data);
    textbuf_append(&tb, data, 63);
    assert_false(tb.failed);
    assert_int_equal(tb.len, 63);
    textbuf_append(&tb, "b", 1);
    assert_true(tb.failed);
    textbuf_puts(&tb, "c");
    assert_int_equal(tb.len, 63);
    textbuf_free(&tb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grows_and_terminates),
        cmocka_unit_test(test_long_printf),
        cmocka_unit_test(test_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
