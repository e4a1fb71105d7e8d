/* Unit tests for gateway/acme/acme_json.c (and the origin checks of
 * acme.h): each reader on a valid answer, and what each refuses: a body
 * over ACME_BODY_MAX, nesting past ACME_JSON_DEPTH (the boundary itself
 * accepted), duplicate keys, not an object, a URL off the directory's
 * origin, a field of the wrong type or over its bound, a short or
 * non-base64url token; RFC 3339 times with fractions and offsets; the
 * payloads written, and the bound of their buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/acme/acme_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIR "https://acme.test:14000/dir"
#define S   "https://acme.test:14000"

static int rd_dir(const char *body, struct acme_directory *d)
{
    char why[ACME_WHY_MAX];
    return acme_json_directory(body, strlen(body), DIR, d, why);
}

static void test_directory(void **state)
{
    (void)state;
    struct acme_directory d;
    assert_int_equal(rd_dir("{\"newNonce\":\"" S "/n\",\"newAccount\":\"" S "/a\",\"newOrder\":\"" S
                            "/o\",\"renewalInfo\":\"" S
                            "/ari\",\"unknown\":[1,2],\"meta\":{\"termsOfService\":\"x\"}}",
                            &d),
                     0);
    assert_string_equal(d.new_order, S "/o");
    assert_string_equal(d.renewal_info, S "/ari");
    assert_false(d.external_account_required);
    assert_int_equal(
        rd_dir("{\"newNonce\":\"" S "/n\",\"newAccount\":\"" S "/a\",\"newOrder\":\"" S "/o\"}", &d), 0);
    assert_string_equal(d.renewal_info, ""); /* no ARI */
    assert_int_equal(rd_dir("{\"newNonce\":\"" S "/n\",\"newAccount\":\"" S "/a\",\"newOrder\":\"" S "/o\","
                            "\"meta\":{\"externalAccountRequired\":true}}",
                            &d),
                     0);
    assert_true(d.external_account_required);
    /* refused */
    assert_int_equal(rd_dir("{\"newNonce\":\"" S "/n\",\"newAccount\":\"" S "/a\"}", &d), -1);
    assert_int_equal(rd_dir("{\"newNonce\":\"https://acme.test:14001/n\",\"newAccount\":\"" S
                            "/a\",\"newOrder\":\"" S "/o\"}",
                            &d),
                     -1); /* another port: another origin */
    assert_int_equal(rd_dir("{\"newNonce\":\"http://acme.test:14000/n\",\"newAccount\":\"" S
                            "/a\",\"newOrder\":\"" S "/o\"}",
                            &d),
                     -1);
    assert_int_equal(rd_dir("{\"newNonce\":7,\"newAccount\":\"" S "/a\",\"newOrder\":\"" S "/o\"}", &d), -1);
    assert_int_equal(rd_dir("{\"newNonce\":\"" S "/n\",\"newNonce\":\"" S "/m\",\"newAccount\":\"" S
                            "/a\",\"newOrder\":\"" S "/o\"}",
                            &d),
                     -1); /* duplicate key */
    assert_int_equal(rd_dir("[1]", &d), -1);
    assert_int_equal(rd_dir("", &d), -1);
}

static void test_bounds(void **state)
{
    (void)state;
    char why[ACME_WHY_MAX];
    struct acme_directory d;
    char *big = malloc(ACME_BODY_MAX + 2);
    memset(big, ' ', ACME_BODY_MAX + 1);
    big[0] = '{';
    big[ACME_BODY_MAX] = '}';
    assert_int_equal(acme_json_directory(big, ACME_BODY_MAX + 1, DIR, &d, why), -1); /* one byte over */
    assert_non_null(strstr(why, "longer than"));
    free(big);
    /* nesting: ACME_JSON_DEPTH levels pass the depth check (then fail as a directory), one more does not */
    char deep[256] = "";
    for (int i = 0; i < ACME_JSON_DEPTH; i++)
        strcat(deep, i ? "[" : "{\"a\":");
    for (int i = 1; i < ACME_JSON_DEPTH; i++)
        strcat(deep, "]");
    strcat(deep, "}");
    assert_int_equal(acme_json_directory(deep, strlen(deep), DIR, &d, why), -1);
    assert_null(strstr(why, "nested deeper"));
    char deeper[256] = "{\"a\":[";
    strcat(deeper, deep + 5);
    strcat(deeper, "]");
    memmove(deeper + strlen(deeper) - 2, "]}", 3);
    assert_int_equal(acme_json_directory(deeper, strlen(deeper), DIR, &d, why), -1);
    assert_non_null(strstr(why, "nested deeper"));
    /* a URL at ACME_URL_MAX - 1 characters fits, one more does not */
    char url[ACME_URL_MAX + 1], body[2 * ACME_URL_MAX];
    size_t base = strlen(S "/");
    memcpy(url, S "/", base);
    memset(url + base, 'x', ACME_URL_MAX - 1 - base);
    url[ACME_URL_MAX - 1] = '\0';
    snprintf(body, sizeof body, "{\"newNonce\":\"%s\",\"newAccount\":\"" S "/a\",\"newOrder\":\"" S "/o\"}",
             url);
    assert_int_equal(rd_dir(body, &d), 0);
    url[ACME_URL_MAX - 1] = 'x';
    url[ACME_URL_MAX] = '\0';
    snprintf(body, sizeof body, "{\"newNonce\":\"%s\",\"newAccount\":\"" S "/a\",\"newOrder\":\"" S "/o\"}",
             url);
    assert_int_equal(rd_dir(body, &d), -1);
}

static void test_order_and_authz(void **state)
{
    (void)state;
    char why[ACME_WHY_MAX];
    struct acme_order_obj o;
    const char *ok = "{\"status\":\"pending\",\"authorizations\":[\"" S "/z/1\"],\"finalize\":\"" S "/f\"}";
    assert_int_equal(acme_json_order(ok, strlen(ok), DIR, &o, why), 0);
    assert_int_equal(o.status, ACME_ST_PENDING);
    assert_int_equal(o.n_authz, 1);
    const char *valid_no_cert =
        "{\"status\":\"valid\",\"authorizations\":[\"" S "/z/1\"],\"finalize\":\"" S "/f\"}";
    assert_int_equal(acme_json_order(valid_no_cert, strlen(valid_no_cert), DIR, &o, why), -1);
    const char *bad_status =
        "{\"status\":\"done\",\"authorizations\":[\"" S "/z/1\"],\"finalize\":\"" S "/f\"}";
    assert_int_equal(acme_json_order(bad_status, strlen(bad_status), DIR, &o, why), -1);
    const char *no_authz = "{\"status\":\"pending\",\"authorizations\":[],\"finalize\":\"" S "/f\"}";
    assert_int_equal(acme_json_order(no_authz, strlen(no_authz), DIR, &o, why), -1);
    struct acme_authz_obj a;
    const char *az =
        "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"www.acme.test\"},"
        "\"challenges\":[{\"type\":\"http-01\",\"url\":\"" S "/c\",\"token\":\"abcdefghijklmnopqrstuv\","
        "\"status\":\"pending\"},{\"type\":\"dns-01\"}]}";
    assert_int_equal(acme_json_authz(az, strlen(az), DIR, &a, why), 0);
    assert_int_equal(a.n_challenges, 2);
    assert_int_equal(a.challenges[1].type, ACME_CHAL_OTHER);
    const char *short_tok =
        "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"w\"},"
        "\"challenges\":[{\"type\":\"http-01\",\"url\":\"" S "/c\",\"token\":\"abcdefghijklmnopqrstu\","
        "\"status\":\"pending\"}]}";
    assert_int_equal(acme_json_authz(short_tok, strlen(short_tok), DIR, &a, why), -1); /* 21 characters */
    const char *slash_tok =
        "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"w\"},"
        "\"challenges\":[{\"type\":\"http-01\",\"url\":\"" S "/c\",\"token\":\"../../../etc/passwd-xxxxx\","
        "\"status\":\"pending\"}]}";
    assert_int_equal(acme_json_authz(slash_tok, strlen(slash_tok), DIR, &a, why), -1);
    const char *ip = "{\"status\":\"pending\",\"identifier\":{\"type\":\"ip\",\"value\":\"198.18.0.1\"},"
                     "\"challenges\":[]}";
    assert_int_equal(acme_json_authz(ip, strlen(ip), DIR, &a, why), -1);
}

static void test_problem_and_ari(void **state)
{
    (void)state;
    char why[ACME_WHY_MAX];
    struct acme_problem p;
    const char *pb = "{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"stale\"}";
    assert_int_equal(acme_json_problem(pb, strlen(pb), &p), 0);
    assert_string_equal(p.type, ACME_ERR_PREFIX "badNonce");
    assert_string_equal(p.detail, "stale");
    assert_int_equal(acme_json_problem("{\"detail\":\"x\"}", 14, &p), -1);
    struct acme_renewal_info w;
    const char *ari =
        "{\"suggestedWindow\":{\"start\":\"2026-01-02T00:00:00Z\",\"end\":\"2026-01-03T00:00:00Z\"}}";
    assert_int_equal(acme_json_renewal_info(ari, strlen(ari), &w, why), 0);
    assert_int_equal(w.end_s - w.start_s, 86400);
    const char *backwards =
        "{\"suggestedWindow\":{\"start\":\"2026-01-03T00:00:00Z\",\"end\":\"2026-01-02T00:00:00Z\"}}";
    assert_int_equal(acme_json_renewal_info(backwards, strlen(backwards), &w, why), -1);
}

static void test_times(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(acme_time_parse("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(acme_time_parse("2026-01-02T03:04:05.123456789Z", &t), 0);
    assert_int_equal(t, 1767323045);
    assert_int_equal(acme_time_parse("2026-01-02T04:04:05+01:00", &t), 0);
    assert_int_equal(t, 1767323045);
    assert_int_equal(acme_time_parse("2026-01-02T03:04:05", &t), -1);             /* no zone */
    assert_int_equal(acme_time_parse("2026-13-02T03:04:05Z", &t), -1);            /* month 13 */
    assert_int_equal(acme_time_parse("2026-01-02T03:04:05.1234567890Z", &t), -1); /* 10 fraction digits */
    assert_int_equal(acme_time_parse("2026-01-02T03:04:05+01:00x", &t), -1);
}

static void test_payloads(void **state)
{
    (void)state;
    char buf[ACME_PAYLOAD_MAX];
    assert_true(acme_json_new_account("mailto:a@b", false, buf, sizeof buf) > 0);
    assert_string_equal(buf, "{\"termsOfServiceAgreed\":true,\"contact\":[\"mailto:a@b\"]}");
    const char *names[] = {"www.acme.test", "api.acme.test"};
    size_t n = acme_json_new_order(names, 2, "aaa.bbb", buf, sizeof buf);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "\"replaces\":\"aaa.bbb\""));
    assert_int_equal(acme_json_new_order(names, 2, "aaa.bbb", buf, n), 0); /* no room for the NUL */
    assert_int_equal(acme_json_new_order(names, 2, "aaa.bbb", buf, n + 1), n);
    assert_int_equal(acme_json_new_order(names, 0, "", buf, sizeof buf), 0);
    assert_int_equal(acme_json_new_order(names, ACME_AUTHZ_MAX + 1, "", buf, sizeof buf), 0);
    assert_true(acme_json_finalize("Q1NS", buf, sizeof buf) > 0);
    assert_string_equal(buf, "{\"csr\":\"Q1NS\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directory),       cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_order_and_authz), cmocka_unit_test(test_problem_and_ari),
        cmocka_unit_test(test_times),           cmocka_unit_test(test_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
