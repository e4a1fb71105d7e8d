/* Unit tests for gateway/ha/peer_link.c + peer_conn.c: two channel threads
 * in this process, on 127.0.0.1 and 127.0.0.2 (both local, no root), with
 * a pre-shared key. They find each other and agree on one session (both
 * dial at once), messages go both ways in order, keepalives keep an idle
 * session up, a stopped peer is seen (DOWN) and a restarted one is back
 * (UP, a new session), a message queued for an ended session is dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log.h"
#include "gateway/ha/peer_link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char psk[] = "/tmp/rampart-peer-link-XXXXXX";
static unsigned port_of[3]; /* by 127.0.0.N: ports free when the group started */

/* A port nobody uses on 127.0.0.n now (the kernel picks it). */
static unsigned free_port(unsigned n)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in *s = (struct sockaddr_in *)&ss;
    memset(&ss, 0, sizeof ss);
    s->sin_family = AF_INET;
    s->sin_addr.s_addr = htonl(0x7f000000u | n);
    len = sizeof *s;
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    close(fd);
    return ntohs(s->sin_port);
}

struct side {
    struct peer_link *link;
    int notify;
    uint64_t session; /* from the last UP */
    unsigned ups, downs, msgs;
    struct peer_msg last;
};

static struct ip_addr lo(unsigned n)
{
    struct ip_addr a = {.family = AF_INET};
    a.u.v4.s_addr = htonl(0x7f000000u | n);
    return a;
}

static void sa(struct sockaddr_storage *out, socklen_t *len, unsigned n, unsigned port)
{
    struct sockaddr_in *s = (struct sockaddr_in *)out;
    memset(out, 0, sizeof *out);
    s->sin_family = AF_INET;
    s->sin_port = htons((uint16_t)port);
    s->sin_addr.s_addr = htonl(0x7f000000u | n);
    *len = sizeof *s;
}

static void start(struct side *s, unsigned me, unsigned them)
{
    char err[256];
    struct tls_peer_config tc = {.auth = TLS_PEER_AUTH_PSK};
    snprintf(tc.psk_file, sizeof tc.psk_file, "%s", psk);
    struct tls_peer_ctx *tls = tls_peer_ctx_new(&tc, err, sizeof err);
    assert_non_null(tls);
    struct peer_link_config c = {.hello = {.version = PEER_PROTO_VERSION, .node = lo(me)},
                                 .peer_id = lo(them),
                                 .connect_timeout_ms = 1000,
                                 .handshake_timeout_ms = 1000,
                                 .keepalive_ms = 100,
                                 .dead_ms = 400};
    c.hello.instance = (uint64_t)rand() << 16 | me;
    sa(&c.listen, &c.listen_len, me, port_of[me]);
    sa(&c.peer, &c.peer_len, them, port_of[them]);
    s->notify = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->link = peer_link_start(&c, tls, s->notify, err, sizeof err);
    if (!s->link)
        fail_msg("%s", err);
}

static void stop(struct side *s)
{
    peer_link_stop(s->link);
    close(s->notify);
    s->link = NULL;
}

static void take(struct side *s)
{
    struct peer_event ev[16];
    size_t n;
    while ((n = peer_link_events(s->link, ev, 16)) > 0)
        for (size_t i = 0; i < n; i++) {
            if (ev[i].kind == PEER_EV_UP)
                s->ups++, s->session = ev[i].session;
            else if (ev[i].kind == PEER_EV_DOWN)
                s->downs++;
            else
                s->msgs++, s->last = ev[i].msg;
        }
}

/* Takes events on both sides until cond holds (at most 5 s). */
static bool until(struct side *a, struct side *b, bool (*cond)(struct side *, struct side *))
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= 5)
            break;
        struct pollfd p[2] = {{.fd = a->notify, .events = POLLIN}, {.fd = b->notify, .events = POLLIN}};
        poll(p, 2, 10);
        uint64_t x;
        ssize_t r1 = read(a->notify, &x, sizeof x), r2 = read(b->notify, &x, sizeof x);
        (void)r1, (void)r2; /* EAGAIN: nothing new on that side */
        take(a);
        take(b);
        if (cond(a, b))
            return true;
    }
    if (getenv("PEER_LINK_DEBUG")) {
        struct peer_link_status x, y;
        peer_link_status(a->link, &x);
        peer_link_status(b->link, &y);
        fprintf(stderr,
                "a: state %d session %llu/%llu dials %llu closed connect %llu err %llu hs %llu/%llu; b: "
                "state %d session %llu/%llu dials %llu stranger %llu\n",
                x.state, (unsigned long long)x.session, (unsigned long long)a->session,
                (unsigned long long)x.dials, (unsigned long long)x.closed[PEER_CLOSE_CONNECT],
                (unsigned long long)x.closed[PEER_CLOSE_ERROR], (unsigned long long)x.handshake_failures[0],
                (unsigned long long)x.handshake_failures[2], y.state, (unsigned long long)y.session,
                (unsigned long long)b->session, (unsigned long long)y.dials,
                (unsigned long long)y.closed[PEER_CLOSE_STRANGER]);
        for (int k = 0; k < PEER_CLOSE_COUNT; k++)
            fprintf(stderr, " %s:%llu/%llu", peer_close_name(k), (unsigned long long)x.closed[k],
                    (unsigned long long)y.closed[k]);
        fprintf(stderr,
                " ups %u/%u downs %u/%u sessions %llu/%llu frames out %llu/%llu in %llu/%llu msgs %u/%u "
                "dropped_pub %llu/%llu\n",
                a->ups, b->ups, a->downs, b->downs, (unsigned long long)x.sessions,
                (unsigned long long)y.sessions, (unsigned long long)x.frames_out,
                (unsigned long long)y.frames_out, (unsigned long long)x.frames_in,
                (unsigned long long)y.frames_in, a->msgs, b->msgs, (unsigned long long)x.outbox_dropped,
                (unsigned long long)y.outbox_dropped);
    }
    return false;
}

static bool both_up(struct side *a, struct side *b)
{
    struct peer_link_status sa_, sb;
    peer_link_status(a->link, &sa_);
    peer_link_status(b->link, &sb);
    return a->session && b->session && sa_.state == PEER_LINK_UP && sb.state == PEER_LINK_UP &&
           sa_.session == a->session && sb.session == b->session;
}

/* Both dialed at once: until the two connections are sorted out, the
 * session may change once (the parent resends everything on each UP). */
static void settle(struct side *a, struct side *b)
{
    for (int i = 0; i < 3; i++) {
        struct timespec ts = {0, 300 * 1000000};
        nanosleep(&ts, NULL);
        assert_true(until(a, b, both_up));
    }
}

static bool b_has_msg(struct side *a, struct side *b)
{
    (void)a;
    return b->msgs > 0;
}

static bool a_down(struct side *a, struct side *b)
{
    (void)b;
    return a->downs > 0;
}

static int setup(void **state)
{
    (void)state;
    int fd = mkstemp(psk);
    static const char key[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
    if (fd < 0 || write(fd, key, sizeof key - 1) != (ssize_t)sizeof key - 1)
        return -1;
    close(fd);
    chmod(psk, 0600);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    port_of[1] = free_port(1);
    port_of[2] = free_port(2);
    if (!port_of[1] || !port_of[2])
        return -1;
    int null = open("/dev/null", O_WRONLY);
    log_setup(LOG_FORMAT_PLAIN, getenv("PEER_LINK_DEBUG") ? 2 : null, LOG_LEVEL_INFO, "test");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(psk);
    return 0;
}

static void test_session_messages_restart(void **state)
{
    (void)state;
    struct side a = {0}, b = {0};
    start(&a, 1, 2);
    start(&b, 2, 1); /* both dial at once: one session survives */
    assert_true(until(&a, &b, both_up));
    settle(&a, &b); /* the other dial may still become the session (the lower node's wins) */
    struct peer_link_status st;
    peer_link_status(a.link, &st);
    assert_true(st.sessions <= 2); /* at most one switch, then it holds */
    /* messages both ways, in order, checked on the way */
    struct peer_msg m = {.type = PEER_MSG_BLOCK, .u.blocks = {.n = 1}};
    m.u.blocks.b[0] = (struct peer_block){.op = PEER_OP_BLOCK, .addr = lo(77), .remaining_ms = 1000};
    assert_true(peer_link_send(a.link, a.session, &m));
    assert_true(until(&a, &b, b_has_msg));
    assert_int_equal(b.last.type, PEER_MSG_BLOCK);
    assert_memory_equal(&b.last.u.blocks.b[0].addr, &m.u.blocks.b[0].addr, sizeof m.u.blocks.b[0].addr);
    /* a message for a session that is not the current one goes nowhere */
    assert_false(peer_link_send(a.link, a.session + 100, &m));
    /* an idle session stays up on keepalives (dead_after 400 ms) */
    uint64_t session = a.session;
    unsigned downs = a.downs;
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
    take(&a);
    take(&b);
    assert_int_equal(a.session, session);
    assert_int_equal(a.downs, downs);
    /* b stops: a sees it go; b comes back: a new session */
    stop(&b);
    b = (struct side){0};
    assert_true(until(&a, &a, a_down));
    start(&b, 2, 1);
    assert_true(until(&a, &b, both_up));
    settle(&a, &b);
    assert_true(a.session > session);
    peer_link_status(a.link, &st);
    assert_true(st.sessions >= 2);
    assert_int_equal(st.dropped[PEER_DROP_REPLAY], 0);
    stop(&a);
    stop(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_messages_restart),
    };
    return cmocka_run_group_tests_name("peer_link", tests, setup, teardown);
}
