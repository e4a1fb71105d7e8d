/* Unit tests for gateway/proc/ipc.c: encoding, decoding of good and hostile
 * messages, config sanity check, and a real socketpair round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proc/ipc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

_Alignas(IPC_BUF_ALIGN) static char buf[IPC_MAX_MSG];

static void test_round_trip(void **state)
{
    (void)state;
    struct ipc_status st = {.backends_up = 1, .backends_total = 2, .connections = 7};
    size_t n = ipc_encode(buf, sizeof buf, IPC_HEARTBEAT, &st, sizeof st);
    assert_int_equal(n, sizeof(struct ipc_header) + sizeof st);
    struct ipc_msg msg;
    const char *why = NULL;
    assert_int_equal(ipc_decode(buf, n, &msg, &why), 0);
    assert_int_equal(msg.type, IPC_HEARTBEAT);
    assert_int_equal(msg.len, sizeof st);
    assert_memory_equal(msg.payload, &st, sizeof st);
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_DRAIN, NULL, 0), sizeof(struct ipc_header));
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_RETIRE, NULL, 0), sizeof(struct ipc_header));
    struct admin_vrrp_status vs = {.role = ADMIN_VRRP_MASTER, .vrid = 51, .priority = 100};
    n = ipc_encode(buf, sizeof buf, IPC_VRRP, &vs, sizeof vs);
    assert_int_equal(ipc_decode(buf, n, &msg, &why), 0);
    assert_int_equal(msg.type, IPC_VRRP);
    assert_int_equal(((const struct admin_vrrp_status *)msg.payload)->role, ADMIN_VRRP_MASTER);
    assert_string_equal(ipc_type_name(IPC_VRRP), "vrrp");
    assert_string_equal(ipc_type_name(IPC_TYPE_END), "unknown");
}

/* IPC_VRRP: 1..ADMIN_VRRP_MAX_INSTANCES whole statuses, nothing else. */
static void test_vrrp_instances(void **state)
{
    (void)state;
    static struct admin_vrrp_status st[ADMIN_VRRP_MAX_INSTANCES + 1];
    size_t one = sizeof st[0];
    struct ipc_msg msg;
    const char *why = NULL;
    size_t n = ipc_encode(buf, sizeof buf, IPC_VRRP, st, ADMIN_VRRP_MAX_INSTANCES * one);
    assert_int_equal(n, sizeof(struct ipc_header) + ADMIN_VRRP_MAX_INSTANCES * one);
    assert_int_equal(ipc_decode(buf, n, &msg, &why), 0);
    assert_int_equal(msg.len, ADMIN_VRRP_MAX_INSTANCES * one);
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_VRRP, st, (ADMIN_VRRP_MAX_INSTANCES + 1) * one), 0);
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_VRRP, st, 0), 0);
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_VRRP, st, one + 1), 0);
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_VRRP, st, 2 * one - 1), 0);
    /* a header that claims one status more than the bound is refused */
    n = ipc_encode(buf, sizeof buf, IPC_VRRP, st, one);
    struct ipc_header h;
    memcpy(&h, buf, sizeof h);
    h.len = (uint32_t)((ADMIN_VRRP_MAX_INSTANCES + 1) * one);
    memcpy(buf, &h, sizeof h);
    assert_int_equal(ipc_decode(buf, sizeof h + h.len, &msg, &why), -1);
    assert_string_equal(why, "payload size wrong for its type");
}

static void test_encode_refuses_wrong_sizes(void **state)
{
    (void)state;
    struct ipc_status st = {0};
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_HEARTBEAT, &st, sizeof st - 1), 0);
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_DRAIN, &st, 1), 0);
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_RETIRE, &st, 1), 0);
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_FIREWALL, &st, sizeof st), 0);
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_FATAL, "", 0), 0);
    /* text at its limit fits, one more byte does not */
    static char text[IPC_TEXT_MAX + 1];
    memset(text, 'x', sizeof text);
    assert_int_not_equal(ipc_encode(buf, sizeof buf, IPC_FATAL, text, IPC_TEXT_MAX), 0);
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_FATAL, text, IPC_TEXT_MAX + 1), 0);
    /* buffer too small */
    assert_int_equal(ipc_encode(buf, sizeof(struct ipc_header), IPC_HEARTBEAT, &st, sizeof st), 0);
}

static void test_decode_hostile(void **state)
{
    (void)state;
    struct ipc_msg msg;
    const char *why = NULL;
    struct ipc_status st = {0};
    size_t n = ipc_encode(buf, sizeof buf, IPC_HEARTBEAT, &st, sizeof st);
    assert_int_equal(ipc_decode(buf, 3, &msg, &why), -1);
    assert_string_equal(why, "message shorter than its header");
    assert_int_equal(ipc_decode(buf, n - 1, &msg, &why), -1);
    assert_string_equal(why, "length field does not match the message size");
    struct ipc_header h;
    memcpy(&h, buf, sizeof h);
    h.type = IPC_TYPE_END;
    memcpy(buf, &h, sizeof h);
    assert_int_equal(ipc_decode(buf, n, &msg, &why), -1);
    assert_string_equal(why, "unknown message type");
    h.type = IPC_DRAIN; /* DRAIN with a payload */
    memcpy(buf, &h, sizeof h);
    assert_int_equal(ipc_decode(buf, n, &msg, &why), -1);
    assert_string_equal(why, "payload size wrong for its type");
    h.magic = 0;
    memcpy(buf, &h, sizeof h);
    assert_int_equal(ipc_decode(buf, n, &msg, &why), -1);
    assert_string_equal(why, "bad magic");
}

static void test_config_check(void **state)
{
    (void)state;
    static struct config cfg;
    const char *why;
    config_defaults(&cfg);
    assert_int_equal(ipc_config_check(&cfg, &why), 0);
    cfg.gateway.workers = CONFIG_MAX_WORKERS + 1;
    assert_int_equal(ipc_config_check(&cfg, &why), -1);
    assert_string_equal(why, "workers out of range");
    config_defaults(&cfg);
    cfg.n_backends = 1;
    memset(cfg.backends[0].name, 'a', sizeof cfg.backends[0].name);
    assert_int_equal(ipc_config_check(&cfg, &why), -1);
    assert_string_equal(why, "unterminated backend name");
}

/* The config (the largest message) crosses a real SEQPACKET socketpair in
 * one piece; closing the peer reads as 0. */
/* AUTOBLOCK: the address survives the trip; a relay's nonsense is refused. */
static void test_autoblock(void **state)
{
    (void)state;
    struct ip_addr a = {.family = AF_INET}, back;
    assert_int_equal(inet_pton(AF_INET, "198.18.0.2", &a.u.v4), 1);
    struct ipc_autoblock m;
    assert_int_equal(ipc_autoblock_from_addr(&a, &m), 0);
    size_t n = ipc_encode(buf, sizeof buf, IPC_AUTOBLOCK, &m, sizeof m);
    assert_int_not_equal(n, 0);
    struct ipc_msg msg;
    const char *why = NULL;
    assert_int_equal(ipc_decode(buf, n, &msg, &why), 0);
    assert_int_equal(msg.type, IPC_AUTOBLOCK);
    assert_string_equal(ipc_type_name(IPC_AUTOBLOCK), "autoblock");
    struct ipc_autoblock got;
    memcpy(&got, msg.payload, sizeof got);
    assert_int_equal(ipc_autoblock_to_addr(&got, &back, &why), 0);
    assert_int_equal(back.family, AF_INET);
    assert_memory_equal(&back.u.v4, &a.u.v4, 4);
    struct ip_addr v6 = {.family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::7", &v6.u.v6), 1);
    assert_int_equal(ipc_autoblock_from_addr(&v6, &m), 0);
    assert_int_equal(ipc_autoblock_to_addr(&m, &back, &why), 0);
    assert_memory_equal(&back.u.v6, &v6.u.v6, 16);
    struct ip_addr bad = {.family = AF_UNIX};
    assert_int_equal(ipc_autoblock_from_addr(&bad, &m), -1);
    /* hostile: unknown family, IPv4 with stray bytes, wrong size */
    m = (struct ipc_autoblock){.family = 99};
    assert_int_equal(ipc_autoblock_to_addr(&m, &back, &why), -1);
    assert_string_equal(why, "unknown address family");
    m = (struct ipc_autoblock){.family = AF_INET, .addr = {198, 18, 0, 2, 1}};
    assert_int_equal(ipc_autoblock_to_addr(&m, &back, &why), -1);
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_AUTOBLOCK, &m, sizeof m - 1), 0);
}

static void test_ticket_keys(void **state)
{
    (void)state;
    struct tls_ticket_keys k;
    memset(&k, 0x5a, sizeof k);
    size_t n = ipc_encode(buf, sizeof buf, IPC_TICKET_KEYS, &k, sizeof k);
    assert_int_not_equal(n, 0);
    struct ipc_msg msg;
    const char *why = NULL;
    assert_int_equal(ipc_decode(buf, n, &msg, &why), 0);
    assert_int_equal(msg.type, IPC_TICKET_KEYS);
    assert_memory_equal(msg.payload, &k, sizeof k);
    assert_string_equal(ipc_type_name(IPC_TICKET_KEYS), "ticket_keys");
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_TICKET_KEYS, &k, sizeof k - 1), 0);
}

/* An open descriptor's number is still open (fcntl answers). */
static bool fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static unsigned open_fds(void)
{
    unsigned n = 0;
    for (int fd = 0; fd < 256; fd++)
        n += fd_open(fd);
    return n;
}

/* Descriptors travel with KEYHOLDER only, exactly as many as it says; any
 * others are closed by the receiver and the message is refused. */
static void test_keyholder_descriptors(void **state)
{
    (void)state;
    int sv[2], ch[2][2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ch[i]), 0);
    int ends[2] = {ch[0][0], ch[1][0]};
    struct ipc_keyholder kh = {.channels = 2};
    struct ipc_msg msg;
    const char *why = NULL;
    assert_int_equal(ipc_send_fds(sv[0], IPC_KEYHOLDER, &kh, sizeof kh, ends, 2), 0);
    assert_int_equal(ipc_recv(sv[1], buf, &msg, &why), 1);
    assert_int_equal(msg.type, IPC_KEYHOLDER);
    assert_int_equal(msg.n_fds, 2);
    /* a received channel works: what goes in one end comes out of its peer */
    assert_int_equal(send(msg.fds[1], "x", 1, 0), 1);
    char c = 0;
    assert_int_equal(recv(ch[1][1], &c, 1, 0), 1);
    assert_int_equal(c, 'x');
    int got = msg.fds[0];
    ipc_msg_close_fds(&msg);
    assert_int_equal(msg.n_fds, 0);
    assert_false(fd_open(got));

    /* one descriptor less than it says */
    unsigned before = open_fds();
    assert_int_equal(ipc_send_fds(sv[0], IPC_KEYHOLDER, &kh, sizeof kh, ends, 1), 0);
    assert_int_equal(ipc_recv(sv[1], buf, &msg, &why), -1);
    assert_int_equal(errno, EPROTO);
    assert_non_null(strstr(why, "descriptors"));
    /* a descriptor on a message that takes none */
    struct ipc_status st = {0};
    assert_int_equal(ipc_send_fds(sv[0], IPC_HEARTBEAT, &st, sizeof st, ends, 1), 0);
    assert_int_equal(ipc_recv(sv[1], buf, &msg, &why), -1);
    assert_non_null(strstr(why, "descriptors"));
    /* what the refused ones brought was closed */
    assert_int_equal(open_fds(), before);
    /* zero channels, and more than a message may carry, are refused at the sender */
    kh.channels = 0;
    assert_int_equal(ipc_send_fds(sv[0], IPC_KEYHOLDER, &kh, sizeof kh, ends, IPC_MAX_FDS + 1), -1);
    assert_int_equal(ipc_send_fds(sv[0], IPC_KEYHOLDER, &kh, sizeof kh, NULL, 0), 0);
    assert_int_equal(ipc_recv(sv[1], buf, &msg, &why), -1);
    for (int i = 0; i < 2; i++) {
        close(ch[i][0]);
        close(ch[i][1]);
    }
    close(sv[0]);
    close(sv[1]);
}

static void test_bgp_status(void **state)
{
    (void)state;
    struct admin_bgp_status st = {
        .enabled = true, .announced = true, .reason = "announced", .transitions = 2};
    size_t n = ipc_encode(buf, sizeof buf, IPC_BGP, &st, sizeof st);
    assert_int_not_equal(n, 0);
    struct ipc_msg msg;
    const char *why = NULL;
    assert_int_equal(ipc_decode(buf, n, &msg, &why), 0);
    assert_int_equal(msg.type, IPC_BGP);
    assert_memory_equal(msg.payload, &st, sizeof st);
    assert_string_equal(ipc_type_name(IPC_BGP), "bgp");
    assert_int_equal(ipc_encode(buf, sizeof buf, IPC_BGP, &st, sizeof st - 1), 0);
}

static void test_socketpair(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    static struct config cfg;
    config_defaults(&cfg);
    strcpy(cfg.gateway.user, "rampart");
    assert_int_equal(ipc_send(sv[0], IPC_CONFIG, &cfg, sizeof cfg), 0);
    assert_int_equal(ipc_send(sv[0], IPC_DRAIN, NULL, 0), 0);
    struct ipc_msg msg;
    const char *why = NULL;
    assert_int_equal(ipc_recv(sv[1], buf, &msg, &why), 1);
    assert_int_equal(msg.type, IPC_CONFIG);
    assert_string_equal(((const struct config *)msg.payload)->gateway.user, "rampart");
    assert_int_equal(ipc_recv(sv[1], buf, &msg, &why), 1);
    assert_int_equal(msg.type, IPC_DRAIN);
    assert_int_equal(ipc_recv(sv[1], buf, &msg, &why), -1);
    assert_int_equal(errno, EAGAIN);
    /* garbage from the peer is refused, not trusted */
    assert_int_equal(send(sv[0], "junkjunkjunkjunk", 16, 0), 16);
    assert_int_equal(ipc_recv(sv[1], buf, &msg, &why), -1);
    assert_int_equal(errno, EPROTO);
    close(sv[0]);
    assert_int_equal(ipc_recv(sv[1], buf, &msg, &why), 0);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_refuses_wrong_sizes),
        cmocka_unit_test(test_decode_hostile),
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_socketpair),
        cmocka_unit_test(test_autoblock),
        cmocka_unit_test(test_ticket_keys),
        cmocka_unit_test(test_vrrp_instances),
        cmocka_unit_test(test_keyholder_descriptors),
        cmocka_unit_test(test_bgp_status),
    };
    return cmocka_run_group_tests_name("ipc", tests, NULL, NULL);
}
