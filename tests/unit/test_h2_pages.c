/*
 * Unit tests for gateway/http/h2_pages.c: which blocks are paged (the
 * H2_PAGES_MIN boundary), that released pages come back zeroed and keep
 * working, realloc across the boundary keeps the bytes, and more large
 * blocks than H2_PAGES_MAX fall back to malloc. Also: a real nghttp2
 * session on it gets its frame buffer paged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/http/h2_pages.h"

#include <string.h>

static void test_threshold(void **state)
{
    (void)state;
    struct h2_pages pg = {0};
    nghttp2_mem m;
    h2_pages_mem(&pg, &m);
    void *small = m.malloc(H2_PAGES_MIN - 1, m.mem_user_data);
    assert_int_equal(h2_pages_mapped(&pg), 0);
    void *big = m.malloc(H2_PAGES_MIN, m.mem_user_data);
    assert_true(h2_pages_mapped(&pg) >= H2_PAGES_MIN);
    m.free(small, m.mem_user_data);
    m.free(big, m.mem_user_data);
    assert_int_equal(h2_pages_mapped(&pg), 0);
    h2_pages_free(&pg);
}

static void test_release_zeroes_and_reuses(void **state)
{
    (void)state;
    struct h2_pages pg = {0};
    nghttp2_mem m;
    h2_pages_mem(&pg, &m);
    unsigned char *b = m.calloc(1, H2_PAGES_MIN + 100, m.mem_user_data);
    assert_non_null(b);
    for (size_t i = 0; i < H2_PAGES_MIN + 100; i++)
        assert_int_equal(b[i], 0);
    memset(b, 0xab, H2_PAGES_MIN + 100);
    h2_pages_release(&pg);
    for (size_t i = 0; i < H2_PAGES_MIN + 100; i += 4096)
        assert_int_equal(b[i], 0); /* given back: zero when touched again */
    memset(b, 0xcd, H2_PAGES_MIN + 100);
    assert_int_equal(b[H2_PAGES_MIN + 99], 0xcd);
    m.free(b, m.mem_user_data);
    h2_pages_free(&pg);
}

static void test_realloc_keeps_bytes(void **state)
{
    (void)state;
    struct h2_pages pg = {0};
    nghttp2_mem m;
    h2_pages_mem(&pg, &m);
    char *p = m.realloc(NULL, 100, m.mem_user_data);
    memcpy(p, "hello", 5);
    p = m.realloc(p, H2_PAGES_MIN * 2, m.mem_user_data); /* malloc -> pages */
    assert_memory_equal(p, "hello", 5);
    assert_true(h2_pages_mapped(&pg) >= 2 * H2_PAGES_MIN);
    p = m.realloc(p, H2_PAGES_MIN * 3, m.mem_user_data); /* pages -> more pages */
    assert_memory_equal(p, "hello", 5);
    m.free(p, m.mem_user_data);
    assert_int_equal(h2_pages_mapped(&pg), 0);
    h2_pages_free(&pg);
}

static void test_more_than_max_falls_back(void **state)
{
    (void)state;
    struct h2_pages pg = {0};
    nghttp2_mem m;
    h2_pages_mem(&pg, &m);
    void *b[H2_PAGES_MAX + 1];
    for (unsigned i = 0; i <= H2_PAGES_MAX; i++)
        assert_non_null(b[i] = m.malloc(H2_PAGES_MIN, m.mem_user_data));
    size_t mapped = h2_pages_mapped(&pg);
    assert_true(mapped >= H2_PAGES_MAX * (size_t)H2_PAGES_MIN &&
                mapped < (H2_PAGES_MAX + 1) * (size_t)H2_PAGES_MIN + 4096 * H2_PAGES_MAX);
    for (unsigned i = 0; i <= H2_PAGES_MAX; i++)
        m.free(b[i], m.mem_user_data); /* the last one goes to free() */
    assert_int_equal(h2_pages_mapped(&pg), 0);
    h2_pages_free(&pg);
}

static void test_session_frame_buffer_is_paged(void **state)
{
    (void)state;
    struct h2_pages pg = {0};
    nghttp2_mem m;
    h2_pages_mem(&pg, &m);
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session *s;
    assert_int_equal(nghttp2_session_server_new3(&s, cb, NULL, NULL, &m), 0);
    nghttp2_session_callbacks_del(cb);
    assert_true(h2_pages_mapped(&pg) >= H2_PAGES_MIN); /* nghttp2's frame buffer */
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);
    const uint8_t *out;
    assert_true(nghttp2_session_mem_send(s, &out) > 0);
    assert_int_equal(nghttp2_session_mem_send(s, &out), 0);
    h2_pages_release(&pg);
    nghttp2_submit_ping(s, NGHTTP2_FLAG_NONE, NULL); /* frames still come out after */
    ssize_t n = nghttp2_session_mem_send(s, &out);
    assert_int_equal(n, 9 + 8);
    assert_int_equal(out[3], NGHTTP2_PING);
    nghttp2_session_del(s);
    assert_int_equal(h2_pages_mapped(&pg), 0);
    h2_pages_free(&pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_release_zeroes_and_reuses),
        cmocka_unit_test(test_realloc_keeps_bytes),
        cmocka_unit_test(test_more_than_max_falls_back),
        cmocka_unit_test(test_session_frame_buffer_is_paged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
