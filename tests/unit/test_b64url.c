/* Unit tests for common/b64url.c: RFC 4648's test vectors (section 10) in
 * the url alphabet without padding, the alphabet's two url characters,
 * the size boundary of the output, and what decoding refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/b64url.h"

#include <string.h>

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[16];
    uint8_t back[16];
    for (int i = 0; i < 7; i++) {
        size_t n = strlen(plain[i]);
        assert_int_equal(b64url_encode(plain[i], n, out, sizeof out), strlen(coded[i]));
        assert_string_equal(out, coded[i]);
        assert_int_equal(B64URL_LEN(n), strlen(coded[i]));
        assert_int_equal(b64url_decode(coded[i], strlen(coded[i]), back, sizeof back), (long)n);
        assert_memory_equal(back, plain[i], n);
    }
}

static void test_url_alphabet(void **state)
{
    (void)state;
    const uint8_t bytes[] = {0xfb, 0xff, 0xbf};
    char out[8];
    uint8_t back[3];
    assert_int_equal(b64url_encode(bytes, 3, out, sizeof out), 4);
    assert_string_equal(out, "-_-_");
    assert_int_equal(b64url_decode("-_-_", 4, back, sizeof back), 3);
    assert_memory_equal(back, bytes, 3);
    assert_true(b64url_is_text("abc-_XYZ09", 10));
    assert_false(b64url_is_text("ab+c", 4));
    assert_false(b64url_is_text("ab/c", 4));
}

static void test_output_bound(void **state)
{
    (void)state;
    char out[8];
    /* "foobar" is 8 characters: 9 bytes with the NUL */
    assert_int_equal(b64url_encode("foobar", 6, out, 8), 0);
    assert_string_equal(out, "");
    char fits[9];
    assert_int_equal(b64url_encode("foobar", 6, fits, 9), 8);
    uint8_t small[5];
    assert_int_equal(b64url_decode("Zm9vYmFy", 8, small, 5), -1);
    uint8_t exact[6];
    assert_int_equal(b64url_decode("Zm9vYmFy", 8, exact, 6), 6);
}

static void test_decode_refuses(void **state)
{
    (void)state;
    uint8_t out[16];
    assert_int_equal(b64url_decode("Zm9v=", 5, out, sizeof out), -1); /* padding */
    assert_int_equal(b64url_decode("Zm 9", 4, out, sizeof out), -1);  /* white space */
    assert_int_equal(b64url_decode("Zm9vY", 5, out, sizeof out), -1); /* 6 bits left over */
    assert_int_equal(b64url_decode("Zh", 2, out, sizeof out), -1);    /* spare bits set */
    assert_int_equal(b64url_decode("Zg", 2, out, sizeof out), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_url_alphabet),
        cmocka_unit_test(test_output_bound),
        cmocka_unit_test(test_decode_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
