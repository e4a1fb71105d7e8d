/* Unit tests for common/strbuf.c: heap growth and its limit, fixed and raw
 * buffers at their boundaries, printf, and every escape mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/strbuf.h"

#include <string.h>

/* ---- heap --------------------------------------------------------------- */

static void test_grows_and_terminates(void **state)
{
    (void)state;
    struct strbuf tb = STRBUF_HEAP_INIT;
    for (int i = 0; i < 1000; i++)
        strbuf_printf(&tb, "%04d,", i);
    assert_false(tb.overflow);
    assert_int_equal(tb.len, 5000);
    assert_int_equal(strlen(tb.data), 5000);
    assert_memory_equal(tb.data + 4995, "0999,", 5);
    strbuf_reset(&tb);
    assert_int_equal(tb.len, 0);
    assert_string_equal(tb.data, "");
    strbuf_free(&tb);
}

/* A printf longer than the first allocation takes the grow-and-retry path. */
static void test_long_printf(void **state)
{
    (void)state;
    struct strbuf tb = STRBUF_HEAP_INIT;
    char big[STRBUF_HEAP_MIN_CAP + 100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    strbuf_printf(&tb, "<%s>", big);
    assert_false(tb.overflow);
    assert_int_equal(tb.len, sizeof big + 1);
    assert_int_equal(tb.data[sizeof big], '>');
    assert_int_equal(tb.data[tb.len], '\0');
    strbuf_free(&tb);
}

/* Nothing appended yet (no memory): empty appends and printfs are fine. */
static void test_heap_empty_appends(void **state)
{
    (void)state;
    struct strbuf tb = STRBUF_HEAP_INIT;
    strbuf_append(&tb, "", 0);
    assert_null(tb.data);
    strbuf_printf(&tb, "%s", "");
    assert_false(tb.overflow);
    assert_int_equal(tb.len, 0);
    strbuf_free(&tb);
    strbuf_free(&tb); /* twice is harmless */
}

/* Boundary: limit - 1 bytes fit (plus the NUL), one more marks it
 * overflowed and later appends are ignored. */
static void test_heap_limit(void **state)
{
    (void)state;
    struct strbuf tb = STRBUF_HEAP(64);
    char data[64];
    memset(data, 'a', sizeof data);
    strbuf_append(&tb, data, 63);
    assert_false(tb.overflow);
    assert_int_equal(tb.len, 63);
    strbuf_append(&tb, "b", 1);
    assert_true(tb.overflow);
    strbuf_puts(&tb, "c");
    assert_int_equal(tb.len, 63);
    assert_int_equal(strlen(tb.data), 63);
    strbuf_reset(&tb);
    assert_false(tb.overflow);
    strbuf_puts(&tb, "again");
    assert_string_equal(tb.data, "again");
    strbuf_free(&tb);
}

/* A printf past the limit keeps what fits, to the byte; beyond the first
 * allocation the limit is the same. */
static void test_heap_limit_printf(void **state)
{
    (void)state;
    struct strbuf tb = STRBUF_HEAP(STRBUF_HEAP_MIN_CAP * 2);
    char big[STRBUF_HEAP_MIN_CAP * 2];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0'; /* 2 * MIN_CAP - 1 bytes */
    strbuf_printf(&tb, "%s", big);
    assert_false(tb.overflow); /* exactly fits: limit - 1 */
    strbuf_free(&tb);

    tb = (struct strbuf)STRBUF_HEAP(STRBUF_HEAP_MIN_CAP * 2);
    strbuf_printf(&tb, "%s!", big);
    assert_true(tb.overflow);
    assert_int_equal(tb.len, STRBUF_HEAP_MIN_CAP * 2 - 1);
    assert_int_equal(tb.data[tb.len - 1], 'y');
    assert_int_equal(tb.data[tb.len], '\0');
    strbuf_free(&tb);
}

/* ---- fixed (text) ----------------------------------------------------------- */

static void test_fixed_exactly_fits(void **state)
{
    (void)state;
    char buf[8];
    struct strbuf sb;
    strbuf_init_fixed(&sb, buf, sizeof buf);
    assert_string_equal(buf, "");
    strbuf_puts(&sb, "abc");
    strbuf_puts(&sb, "defg"); /* 7 bytes + NUL: exactly the buffer */
    assert_false(sb.overflow);
    assert_int_equal(sb.len, 7);
    assert_string_equal(buf, "abcdefg");

    strbuf_init_fixed(&sb, buf, sizeof buf);
    strbuf_printf(&sb, "%d%s", 1234, "567");
    assert_false(sb.overflow);
    assert_string_equal(buf, "1234567");
}

/* One byte over: the byte-exact cut, remembered, and nothing after it. */
static void test_fixed_one_over(void **state)
{
    (void)state;
    char buf[9];
    memset(buf, '#', sizeof buf);
    struct strbuf sb;
    strbuf_init_fixed(&sb, buf, sizeof buf - 1); /* 8: 7 bytes of text */
    strbuf_puts(&sb, "abcdefgh");
    assert_true(sb.overflow);
    assert_int_equal(sb.len, 7);
    assert_string_equal(buf, "abcdefg");
    assert_int_equal(buf[8], '#'); /* never past cap */
    strbuf_putc(&sb, 'x');
    strbuf_printf(&sb, "%s", "y");
    assert_int_equal(sb.len, 7);
    assert_string_equal(buf, "abcdefg");

    strbuf_init_fixed(&sb, buf, sizeof buf - 1);
    strbuf_puts(&sb, "ab");
    strbuf_printf(&sb, "%s", "cdefgh");
    assert_true(sb.overflow);
    assert_string_equal(buf, "abcdefg");
    assert_int_equal(buf[8], '#');
}

/* A cut leaves the rest of the storage to the caller, for its own end
 * (log.c's "...\n"): a second strbuf over it. */
static void test_fixed_cut_then_tail(void **state)
{
    (void)state;
    char buf[12];
    struct strbuf body, tail;
    strbuf_init_fixed(&body, buf, sizeof buf - 4);
    strbuf_puts(&body, "0123456789");
    assert_true(body.overflow);
    strbuf_init_fixed(&tail, buf + body.len, sizeof buf - body.len);
    strbuf_puts(&tail, "...\n");
    assert_false(tail.overflow);
    assert_int_equal(body.len + tail.len, sizeof buf - 1);
    assert_string_equal(buf, "0123456...\n");
}

/* cap 0 writes nothing at all; cap 1 holds only the NUL. */
static void test_fixed_tiny(void **state)
{
    (void)state;
    char buf[2] = {'#', '#'};
    struct strbuf sb;
    strbuf_init_fixed(&sb, buf, 0);
    strbuf_puts(&sb, "a");
    strbuf_printf(&sb, "%s", "b");
    assert_true(sb.overflow);
    assert_int_equal(buf[0], '#');
    strbuf_init_fixed(&sb, buf, 1);
    strbuf_puts(&sb, "a");
    assert_true(sb.overflow);
    assert_int_equal(sb.len, 0);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], '#');
}

/* ---- raw ------------------------------------------------------------------ */

#define RAW_CAP 8

/* A raw strbuf of RAW_CAP bytes over buf, whose one byte past the end is a
 * guard that must stay '#'. */
static void raw_guarded(struct strbuf *sb, char buf[RAW_CAP + 1])
{
    memset(buf, '#', RAW_CAP + 1);
    strbuf_init_raw(sb, buf, RAW_CAP);
}

/* Raw buffers keep no NUL, so an append may fill the very last byte; but
 * vsnprintf always writes its NUL, so a printf needs one spare byte (7 fit
 * in a raw 8, 8 do not: what http_rules has always done). */
static const struct {
    bool printf;
    const char *first, *second;
    bool overflow;
    const char *kept;
} raw_cases[] = {
    {false, "abcd", "efgh", false, "abcdefgh"}, /* exactly fits */
    {false, "abcd", "efghi", true, "abcdefgh"}, /* one byte over: cut to the byte */
    {false, "abcdefghi", "", true, "abcdefgh"}, /* one over in one piece */
    {true, "abc", "defg", false, "abcdefg"},    /* printf: 7 + its NUL */
    {true, "abcd", "efgh", true, "abcdefg"},    /* printf: 8 need the ninth */
};

static void test_raw_boundaries(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof raw_cases / sizeof raw_cases[0]; i++) {
        char buf[RAW_CAP + 1];
        struct strbuf sb;
        raw_guarded(&sb, buf);
        for (int k = 0; k < 2; k++) {
            const char *piece = k ? raw_cases[i].second : raw_cases[i].first;
            if (raw_cases[i].printf)
                strbuf_printf(&sb, "%s", piece);
            else
                strbuf_puts(&sb, piece);
        }
        assert_int_equal(sb.overflow, raw_cases[i].overflow);
        assert_int_equal(sb.len, strlen(raw_cases[i].kept));
        assert_memory_equal(buf, raw_cases[i].kept, sb.len);
        assert_int_equal(buf[RAW_CAP], '#');
    }
}

/* After a cut nothing is added, not even into the byte a printf left
 * spare; a reset makes the whole buffer usable again. */
static void test_raw_after_cut(void **state)
{
    (void)state;
    char buf[RAW_CAP + 1];
    struct strbuf sb;
    raw_guarded(&sb, buf);
    strbuf_printf(&sb, "%s", "abcdefgh");
    assert_true(sb.overflow);
    strbuf_putc(&sb, 'z');
    assert_int_equal(sb.len, RAW_CAP - 1);
    assert_int_equal(buf[RAW_CAP], '#');
    strbuf_reset(&sb);
    assert_false(sb.overflow);
    strbuf_append(&sb, "12345678", RAW_CAP);
    assert_false(sb.overflow);
    assert_memory_equal(buf, "12345678#", RAW_CAP + 1);
}

/* ---- escape modes ------------------------------------------------------- */

/* Each mode against the bytes its grammar cares about, and bytes it must
 * leave alone. */
static const struct {
    enum strbuf_esc mode;
    const char *in, *want;
} escapes[] = {
    {STRBUF_ESC_JSON,
     "a\"b\\c\nd\te\x01\x1f\x7f"
     "f\xc3\xa9<>'",
     "a\\\"b\\\\c\\nd\\te\\u0001\\u001f\\u007ff\xc3\xa9<>'"},
    {STRBUF_ESC_JSON, "", ""},
    {STRBUF_ESC_JSON, "plain text", "plain text"},
    {STRBUF_ESC_HEX, "/a b\"c\\d\n\x7f\xff&<", "/a b\\x22c\\x5cd\\x0a\\x7f\\xff&<"},
    {STRBUF_ESC_HTML, "<b a=\"1\">'x'&amp;\n\\</b>",
     "&lt;b a=&quot;1&quot;&gt;&#39;x&#39;&amp;amp;\n\\&lt;/b&gt;"},
    {STRBUF_ESC_PROM_LABEL, "web\"01\\x\ny\t<&>", "web\\\"01\\\\x\\ny\t<&>"},
};

static void test_escape_modes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
        char buf[128];
        struct strbuf sb;
        strbuf_init_fixed(&sb, buf, sizeof buf);
        strbuf_escape(&sb, escapes[i].mode, escapes[i].in);
        assert_false(sb.overflow);
        assert_string_equal(buf, escapes[i].want);
    }
}

/* An escape that does not fit is cut to the byte, like any append. */
static void test_escape_cut(void **state)
{
    (void)state;
    char buf[6];
    struct strbuf sb;
    strbuf_init_fixed(&sb, buf, sizeof buf);
    strbuf_escape(&sb, STRBUF_ESC_JSON, "ab\x01");
    assert_true(sb.overflow);
    assert_string_equal(buf, "ab\\u0");
    strbuf_init_fixed(&sb, buf, sizeof buf);
    strbuf_escape(&sb, STRBUF_ESC_HTML, "a<");
    assert_false(sb.overflow);
    assert_string_equal(buf, "a&lt;");
    strbuf_init_fixed(&sb, buf, sizeof buf);
    strbuf_escape(&sb, STRBUF_ESC_HEX, "ab\"");
    assert_true(sb.overflow);
    assert_string_equal(buf, "ab\\x2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grows_and_terminates), cmocka_unit_test(test_long_printf),
        cmocka_unit_test(test_heap_empty_appends),   cmocka_unit_test(test_heap_limit),
        cmocka_unit_test(test_heap_limit_printf),    cmocka_unit_test(test_fixed_exactly_fits),
        cmocka_unit_test(test_fixed_one_over),       cmocka_unit_test(test_fixed_cut_then_tail),
        cmocka_unit_test(test_fixed_tiny),           cmocka_unit_test(test_raw_boundaries),
        cmocka_unit_test(test_raw_after_cut),        cmocka_unit_test(test_escape_modes),
        cmocka_unit_test(test_escape_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
