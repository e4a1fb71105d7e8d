/* Unit tests for gateway/acme/acme_msg.c (what the parent and the relays
 * check of ACME's IPC messages) and gateway/acme/acme_state.c (the state
 * directory's files): a good token passes; each field out of range or
 * alphabet is refused; a set over ACME_TOKENS_MAX is refused; a
 * certificate message's lengths and name; state files written 0600 whole,
 * read back, a file over the reader's bound refused, names with a '/'
 * refused; the pair's account and order messages (acme_msg_account_check,
 * acme_msg_order_check): lengths, URLs of the server, an ended order
 * empty, answers for the order's name only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/acme/acme_msg.h"
#include "gateway/acme/acme_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct acme_token good(void)
{
    struct acme_token t = {.op = ACME_TOKEN_PUBLISH, .type = ACME_CHAL_HTTP01, .seq = 1};
    snprintf(t.identifier, sizeof t.identifier, "www.acme.test");
    snprintf(t.token, sizeof t.token, "abcdefghijklmnopqrstuv");
    snprintf(t.key_auth, sizeof t.key_auth, "abcdefghijklmnopqrstuv.THUMB_print-1");
    return t;
}

static void test_token(void **state)
{
    (void)state;
    const char *why = NULL;
    struct acme_token t = good();
    assert_int_equal(acme_msg_token_check(&t, true, &why), 0);
    t.op = 3;
    assert_int_equal(acme_msg_token_check(&t, true, &why), -1);
    t = good();
    t.type = ACME_CHAL_TYPES;
    assert_int_equal(acme_msg_token_check(&t, true, &why), -1);
    t = good();
    snprintf(t.identifier, sizeof t.identifier, "www.acme.test/../x");
    assert_int_equal(acme_msg_token_check(&t, true, &why), -1);
    t = good();
    snprintf(t.key_auth, sizeof t.key_auth, "otherfghijklmnopqrstuv.THUMB");
    assert_int_equal(acme_msg_token_check(&t, true, &why), -1); /* not this token's */
    t = good();
    snprintf(t.key_auth, sizeof t.key_auth, "abcdefghijklmnopqrstuv.<script>");
    assert_int_equal(acme_msg_token_check(&t, true, &why), -1);
    t = good();
    memset(t.token, 'a', sizeof t.token); /* not terminated */
    assert_int_equal(acme_msg_token_check(&t, true, &why), -1);
    t = good();
    t.op = ACME_TOKEN_WITHDRAW;
    t.key_auth[0] = '\0'; /* a withdrawal needs no key authorization */
    assert_int_equal(acme_msg_token_check(&t, true, &why), 0);
    t = good();
    assert_int_equal(acme_msg_token_check(&t, false, &why), -1); /* in a set, op is 0 */
}

static void test_set_and_cert(void **state)
{
    (void)state;
    const char *why = NULL;
    static struct acme_token_set s;
    memset(&s, 0, sizeof s);
    s.n = ACME_TOKENS_MAX;
    for (unsigned i = 0; i < ACME_TOKENS_MAX; i++) {
        s.t[i] = good();
        s.t[i].op = 0;
    }
    assert_int_equal(acme_msg_tokens_check(&s, &why), 0);
    s.n = ACME_TOKENS_MAX + 1;
    assert_int_equal(acme_msg_tokens_check(&s, &why), -1);
    static struct acme_cert_msg m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "www.acme.test");
    m.chain_len = 10;
    m.key_len = 10;
    assert_int_equal(acme_msg_cert_check(&m, &why), 0);
    m.chain_len = sizeof m.chain; /* no room left for a NUL: refused */
    assert_int_equal(acme_msg_cert_check(&m, &why), -1);
    m.chain_len = 10;
    m.index = ACME_CERTS_MAX;
    assert_int_equal(acme_msg_cert_check(&m, &why), -1);
    m.index = 0;
    m.key_type = 2;
    assert_int_equal(acme_msg_cert_check(&m, &why), -1);
}

static void test_state_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/rampart-acme-state-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    assert_int_equal(acme_state_write(dfd, "account.url", "a b\n", 4), 0);
    struct stat st;
    assert_int_equal(fstatat(dfd, "account.url", &st, 0), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char buf[8];
    assert_int_equal(acme_state_read(dfd, "account.url", buf, sizeof buf), 4);
    assert_string_equal(buf, "a b\n");
    assert_int_equal(acme_state_write(dfd, "big", "1234567890", 10), 0);
    assert_int_equal(acme_state_read(dfd, "big", buf, sizeof buf), -1); /* 10 bytes, room for 7 */
    assert_int_equal(errno, EFBIG);
    assert_int_equal(acme_state_read(dfd, "absent", buf, sizeof buf), -1);
    assert_int_equal(errno, ENOENT);
    char name[64];
    assert_int_equal(acme_state_file("www.acme.test", ".crt", name, sizeof name), 0);
    assert_string_equal(name, "www.acme.test.crt");
    assert_int_equal(acme_state_file("../etc", ".crt", name, sizeof name), -1);
    assert_int_equal(acme_state_file("a/b", ".crt", name, sizeof name), -1);
    assert_int_equal(acme_state_file("www.acme.test", ".crt", name, 17), -1); /* no room for the NUL */
    close(dfd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_account(void **state)
{
    (void)state;
    static struct acme_account_msg m;
    const char *why = NULL;
    memset(&m, 0, sizeof m);
    snprintf(m.directory, sizeof m.directory, "https://acme.test:14000/dir");
    snprintf(m.kid, sizeof m.kid, "https://acme.test:14000/acct/1");
    m.key_len = (uint32_t)snprintf(m.key, sizeof m.key, "-----BEGIN EC PRIVATE KEY-----\nX\n");
    assert_int_equal(acme_msg_account_check(&m, &why), 0);
    m.kid[0] = '\0'; /* not named yet: fine */
    assert_int_equal(acme_msg_account_check(&m, &why), 0);
    snprintf(m.kid, sizeof m.kid, "https://evil.test/acct/1");
    assert_int_equal(acme_msg_account_check(&m, &why), -1);
    snprintf(m.kid, sizeof m.kid, "https://acme.test:14000/acct/1");
    m.key_len++; /* longer than the string */
    assert_int_equal(acme_msg_account_check(&m, &why), -1);
    m.key_len = 0;
    assert_int_equal(acme_msg_account_check(&m, &why), -1);
    m.key_len = sizeof m.key;
    assert_int_equal(acme_msg_account_check(&m, &why), -1);
    m.key_len = (uint32_t)strlen(m.key);
    memset(m.directory, 'a', sizeof m.directory); /* not terminated */
    assert_int_equal(acme_msg_account_check(&m, &why), -1);
}

static void test_order(void **state)
{
    (void)state;
    static struct acme_order_msg m;
    const char *why = NULL;
    memset(&m, 0, sizeof m);
    m.index = 2;
    snprintf(m.name, sizeof m.name, "www.acme.test");
    assert_int_equal(acme_msg_order_check(&m, &why), 0); /* ended */
    m.n_tokens = 1;
    assert_int_equal(acme_msg_order_check(&m, &why), -1); /* ended with answers */
    m.n_tokens = 0;
    snprintf(m.url, sizeof m.url, "https://acme.test:14000/order/1");
    assert_int_equal(acme_msg_order_check(&m, &why), -1); /* no key */
    m.key_len = (uint32_t)snprintf(m.key, sizeof m.key, "-----BEGIN EC PRIVATE KEY-----\nX\n");
    assert_int_equal(acme_msg_order_check(&m, &why), 0);
    m.tokens[0] = good();
    m.tokens[0].op = 0;
    m.tokens[0].seq = 0;
    m.n_tokens = 1;
    assert_int_equal(acme_msg_order_check(&m, &why), 0);
    snprintf(m.tokens[0].identifier, sizeof m.tokens[0].identifier, "other.acme.test");
    assert_int_equal(acme_msg_order_check(&m, &why), -1); /* an answer for another name */
    snprintf(m.tokens[0].identifier, sizeof m.tokens[0].identifier, "WWW.acme.test");
    assert_int_equal(acme_msg_order_check(&m, &why), 0);
    m.tokens[0].op = ACME_TOKEN_PUBLISH;
    assert_int_equal(acme_msg_order_check(&m, &why), -1);
    m.tokens[0].op = 0;
    m.n_tokens = ACME_AUTHZ_MAX + 1;
    assert_int_equal(acme_msg_order_check(&m, &why), -1);
    m.n_tokens = 1;
    m.index = ACME_CERTS_MAX;
    assert_int_equal(acme_msg_order_check(&m, &why), -1);
    m.index = 0;
    snprintf(m.url, sizeof m.url, "http://acme.test/order/1");
    assert_int_equal(acme_msg_order_check(&m, &why), -1);
    snprintf(m.url, sizeof m.url, "https://acme.test:14000/order/1");
    snprintf(m.name, sizeof m.name, "www acme");
    assert_int_equal(acme_msg_order_check(&m, &why), -1);
    snprintf(m.name, sizeof m.name, "www.acme.test");
    m.reserved = 1;
    assert_int_equal(acme_msg_order_check(&m, &why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token),       cmocka_unit_test(test_set_and_cert),
        cmocka_unit_test(test_state_files), cmocka_unit_test(test_account),
        cmocka_unit_test(test_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
