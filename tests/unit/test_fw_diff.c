/* Unit tests for firewall/diff.c: the line comparison behind `diff`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "firewall/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *out;

static int diff(const char *a, const char *b)
{
    size_t len;
    free(out);
    FILE *fp = open_memstream(&out, &len);
    int n = fw_diff_text(fp, a, b);
    fclose(fp);
    return n;
}

static void test_same_text_no_changes(void **state)
{
    (void)state;
    assert_int_equal(diff("a\nb\n", "a\nb\n"), 0);
    assert_string_equal(out, "");
}

static void test_changed_line_with_context_and_header(void **state)
{
    (void)state;
    const char *a = "table {\n\tchain input {\n\t\tr1\n\t\tr2\n\t\tr3\n\t\tr4\n\t\tr5\n\t\tr6\n\t}\n}\n";
    const char *b = "table {\n\tchain input {\n\t\tr1\n\t\tr2\n\t\tr3\n\t\tr4\n\t\tr5\n\t\tR6\n\t}\n}\n";
    assert_int_equal(diff(a, b), 2);
    assert_string_equal(out, " ...\n \tchain input {\n ...\n \t\tr4\n \t\tr5\n-\t\tr6\n+\t\tR6\n \t}\n }\n");
}

static void test_added_and_removed(void **state)
{
    (void)state;
    assert_int_equal(diff("x\ny\n", "y\nz\n"), 2);
    assert_string_equal(out, "-x\n y\n+z\n");
    assert_int_equal(diff("", "new\n"), 1);
    assert_string_equal(out, "+new\n");
}

static int teardown(void **state)
{
    (void)state;
    free(out);
    out = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_text_no_changes),
        cmocka_unit_test(test_changed_line_with_context_and_header),
        cmocka_unit_test(test_added_and_removed),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
