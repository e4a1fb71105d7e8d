/*
 * Unit tests for gateway/proxy/h2_conn.c (with conn.c and proxy.c, the
 * HTTP/2 path of the connection state machine) through a real worker on
 * a virtual clock (tests/unit/helpers/conn_harness.h). The client is an
 * nghttp2 client session in this process; `openssl s_client -alpn h2`
 * carries its bytes over TLS (mbedTLS is built without client code), so
 * every frame is the test's own and every deadline fires when the test
 * steps the clock: first stream, idle, a stream's response timeout, a
 * window the client keeps shut, the two-step GOAWAY of a drain. Backends
 * are the harness's listening sockets, answered byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proxy/abuse.h"
#include "gateway/proxy/conn.h"
#include "tests/unit/helpers/conn_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST           CONN_HARNESS_TLS_NAME
#define MAX_STREAMS    16
#define BODY_MAX       (4 << 20) /* more than every buffer on the way can hold */
#define BACKEND_RCVBUF 4096      /* a backend that reads nothing takes little into its socket */
#define QUIET          64        /* iterations after which "nothing more came" is a finding */

/* ---- the client: nghttp2 over s_client ----------------------------------------------------- */

struct tstream {
    int status;
    uint32_t rst; /* RST_STREAM code + 1; 0: none */
    bool closed;
    size_t body_len, body_total; /* body_len: what body holds; body_total: all of it */
    char body[1024];
};

struct tclient {
    pid_t pid;
    int to, from; /* s_client's stdin and stdout */
    nghttp2_session *ng;
    struct tstream st[MAX_STREAMS];
    bool settings; /* the gateway's SETTINGS came: the handshake and preface are done */
    unsigned goaways;
    int32_t goaway_last[4];
    uint32_t goaway_code[4];
    bool eof;
    size_t upload_left, uploaded; /* a request body from on_read */
    uint8_t out[32768];           /* a frame s_client's stdin did not take yet */
    size_t out_off, out_len;
};

static struct tstream *tstream_of(struct tclient *t, int32_t id)
{
    return id > 0 && id / 2 < MAX_STREAMS ? &t->st[id / 2] : &t->st[0];
}

static int c_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                    const uint8_t *value, size_t vlen, uint8_t flags, void *arg)
{
    (void)ng, (void)flags, (void)vlen;
    if (nlen == 7 && memcmp(name, ":status", 7) == 0)
        tstream_of(arg, f->hd.stream_id)->status = atoi((const char *)value);
    return 0;
}

static int c_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *d, size_t len, void *arg)
{
    (void)ng, (void)flags;
    struct tstream *s = tstream_of(arg, id);
    size_t room = sizeof s->body - s->body_len;
    memcpy(s->body + s->body_len, d, len < room ? len : room);
    s->body_len += len < room ? len : room;
    s->body_total += len;
    return 0;
}

static int c_frame(nghttp2_session *ng, const nghttp2_frame *f, void *arg)
{
    (void)ng;
    struct tclient *t = arg;
    if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK))
        t->settings = true;
    if (f->hd.type == NGHTTP2_RST_STREAM)
        tstream_of(t, f->hd.stream_id)->rst = f->rst_stream.error_code + 1;
    if (f->hd.type == NGHTTP2_GOAWAY && t->goaways < 4) {
        t->goaway_last[t->goaways] = f->goaway.last_stream_id;
        t->goaway_code[t->goaways++] = f->goaway.error_code;
    }
    return 0;
}

static int c_close(nghttp2_session *ng, int32_t id, uint32_t code, void *arg)
{
    (void)ng, (void)code;
    tstream_of(arg, id)->closed = true;
    return 0;
}

static ssize_t c_upload(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                        nghttp2_data_source *src, void *arg)
{
    (void)ng, (void)id, (void)src;
    struct tclient *t = arg;
    size_t n = len < t->upload_left ? len : t->upload_left;
    memset(buf, 'u', n);
    t->upload_left -= n;
    t->uploaded += n;
    if (t->upload_left == 0)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int tcp_listener(unsigned short *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* When set, the next s_client writes its -msg trace there. */
static const char *client_msgfile;

/* s_client with its stdin and stdout on pipes: a TLS pipe for our frames. */
static void start_s_client(struct tclient *t, unsigned short port)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    t->pid = fork();
    assert_true(t->pid >= 0);
    if (t->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        char addr[32];
        snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
        if (client_msgfile)
            execlp("timeout", "timeout", "30", "openssl", "s_client", "-connect", addr, "-servername", HOST,
                   "-alpn", "h2", "-quiet", "-nocommands", "-tls1_3", "-msg", "-msgfile", client_msgfile,
                   (char *)NULL);
        else
            execlp("timeout", "timeout", "30", "openssl", "s_client", "-connect", addr, "-servername", HOST,
                   "-alpn", "h2", "-quiet", "-nocommands", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    t->to = in[1];
    t->from = out[0];
    assert_int_equal(fcntl(t->from, F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(fcntl(t->to, F_SETFL, O_NONBLOCK), 0);
}

/* Our frames to s_client's stdin; what the pipe does not take now waits
 * (an upload outruns a gateway that holds back its window). */
static void client_send(struct tclient *t)
{
    for (;;) {
        if (t->out_len == 0) {
            const uint8_t *p;
            ssize_t n = nghttp2_session_mem_send(t->ng, &p);
            if (n <= 0)
                return;
            assert_true((size_t)n <= sizeof t->out);
            memcpy(t->out, p, (size_t)n);
            t->out_off = 0;
            t->out_len = (size_t)n;
        }
        if (t->to < 0)
            return;
        ssize_t w = write(t->to, t->out + t->out_off, t->out_len - t->out_off);
        if (w <= 0)
            return;
        t->out_off += (size_t)w;
        if (t->out_off == t->out_len)
            t->out_len = 0;
    }
}

/* A client connected through the worker; settings: our SETTINGS. */
static void client_start(struct conn_harness *h, struct tclient *t, const nghttp2_settings_entry *iv,
                         size_t n)
{
    memset(t, 0, sizeof *t);
    unsigned short port;
    int lfd = tcp_listener(&port);
    start_s_client(t, port);
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 10000), 1); /* a hang guard, not a timing check */
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    assert_true(fd >= 0);
    close(lfd);
    assert_true(conn_harness_adopt(h, LISTENER_HTTPS, fd));
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, c_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, c_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, c_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, c_close);
    assert_int_equal(nghttp2_session_client_new(&t->ng, cb, t), 0);
    nghttp2_session_callbacks_del(cb);
    assert_int_equal(nghttp2_submit_settings(t->ng, NGHTTP2_FLAG_NONE, iv, n), 0);
    client_send(t);
}

static void client_free(struct tclient *t)
{
    if (t->to >= 0)
        close(t->to);
    close(t->from);
    kill(t->pid, SIGTERM);
    waitpid(t->pid, NULL, 0);
    nghttp2_session_del(t->ng);
}

/* Our frames out, the gateway's in, one worker iteration between. */
static void client_io(struct conn_harness *h, struct tclient *t)
{
    ssize_t n;
    client_send(t);
    conn_harness_step(h);
    uint8_t buf[65536];
    while ((n = read(t->from, buf, sizeof buf)) > 0)
        assert_int_equal(nghttp2_session_mem_recv(t->ng, buf, (size_t)n), n);
    if (n == 0)
        t->eof = true;
}

/* Runs until done(t) or CONN_HARNESS_WAIT_STEPS; the result of done. */
static bool client_until(struct conn_harness *h, struct tclient *t,
                         bool (*done)(const struct tclient *t, int arg), int arg)
{
    for (unsigned i = 0; i < CONN_HARNESS_WAIT_STEPS && !done(t, arg) && !t->eof; i++) {
        client_io(h, t);
        struct pollfd p = {.fd = t->from, .events = POLLIN};
        poll(&p, 1, 1);
    }
    return done(t, arg);
}

static bool answered(const struct tclient *t, int id)
{
    const struct tstream *s = &t->st[id / 2];
    return s->closed || s->rst;
}

static bool goaways(const struct tclient *t, int n)
{
    return t->goaways >= (unsigned)n;
}

static bool has_settings(const struct tclient *t, int unused)
{
    (void)unused;
    return t->settings;
}

static bool has_status(const struct tclient *t, int id)
{
    return t->st[id / 2].status != 0;
}

static bool ended(const struct tclient *t, int unused)
{
    (void)unused;
    return t->eof;
}

/* Nothing new for the client in QUIET iterations. */
static void client_quiet(struct conn_harness *h, struct tclient *t)
{
    unsigned g = t->goaways;
    for (unsigned i = 0; i < QUIET; i++)
        client_io(h, t);
    assert_int_equal(t->goaways, g);
    assert_false(t->eof);
}

static int32_t get(struct tclient *t, const char *path, nghttp2_data_provider *body)
{
    nghttp2_nv nv[] = {
        {(uint8_t *)":method", (uint8_t *)(body ? "POST" : "GET"), 7, body ? 4 : 3, 0},
        {(uint8_t *)":scheme", (uint8_t *)"https", 7, 5, 0},
        {(uint8_t *)":authority", (uint8_t *)HOST, 10, strlen(HOST), 0},
        {(uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0},
        {(uint8_t *)"x-request-id", (uint8_t *)"h2-test", 12, 7, 0},
    };
    int32_t id = nghttp2_submit_request(t->ng, NULL, nv, 5, body, NULL);
    assert_true(id > 0);
    client_send(t);
    return id;
}

/* ---- the backend side ----------------------------------------------------------------------- */

static void backend_expect_head(struct conn_harness *h, int b, const char *want)
{
    char buf[4096];
    conn_harness_recv_wait(h, b, buf, sizeof buf, strlen(want), NULL);
    assert_string_equal(buf, want);
}

static void send_str(struct conn_harness *h, int fd, const char *s)
{
    assert_true(conn_harness_send_str(h, fd, s));
}

#define FORWARDED(path)                                                                                      \
    "GET " path " HTTP/1.1\r\nhost: " HOST "\r\nx-request-id: h2-test\r\n"                                   \
    "X-Forwarded-For: " CONN_HARNESS_PEER_IP "\r\nX-Forwarded-Proto: https\r\n"                              \
    "Forwarded: for=" CONN_HARNESS_PEER_IP ";proto=https;host=\"" HOST                                       \
    "\"\r\nX-Real-IP: " CONN_HARNESS_PEER_IP "\r\nX-Forwarded-Host: " HOST                                   \
    "\r\nX-Forwarded-Port: 443\r\n\r\n"

/* ---- set-up --------------------------------------------------------------------------------- */

struct tls_env {
    char dir[64];
    char cert[128], key[128];
};

static int tls_setup(void **state)
{
    static struct tls_env env;
    signal(SIGPIPE, SIG_IGN);
    snprintf(env.dir, sizeof env.dir, "/tmp/rampart-test-h2conn-XXXXXX");
    if (!mkdtemp(env.dir))
        return -1;
    snprintf(env.cert, sizeof env.cert, "%s/cert.pem", env.dir);
    snprintf(env.key, sizeof env.key, "%s/key.pem", env.dir);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
             "-subj '/CN=" HOST "' -addext 'subjectAltName=DNS:" HOST "' -keyout %s -out %s 2>/dev/null",
             env.key, env.cert);
    if (system(cmd) != 0)
        return -1;
    *state = &env;
    return 0;
}

static int tls_teardown(void **state)
{
    struct tls_env *env = *state;
    unlink(env->cert);
    unlink(env->key);
    return rmdir(env->dir);
}

static struct conn_harness *harness(void **state)
{
    const struct tls_env *env = *state;
    struct conn_harness *h = conn_harness_new(1);
    assert_non_null(h);
    char err[512] = "";
    if (conn_harness_tls(h, env->cert, env->key, err, sizeof err) != 0)
        fail_msg("tls server: %s", err);
    return h;
}

static void harness_done(struct conn_harness *h, struct tclient *t)
{
    client_free(t);
    assert_true(conn_harness_free(h));
}

/* ---- tests ------------------------------------------------------------------------------------ */

/* A stream becomes an HTTP/1.1 request with the usual forwarding headers;
 * the answer comes back as h2; the backend socket goes back to the pool
 * and carries the next stream. */
static void test_get_and_pooled_backend(void **state)
{
    struct conn_harness *h = harness(state);
    struct tclient t;
    client_start(h, &t, NULL, 0);
    int32_t id = get(&t, "/a", NULL);
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    backend_expect_head(h, b, FORWARDED("/a"));
    send_str(h, b, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabc");
    assert_true(client_until(h, &t, answered, id));
    assert_int_equal(t.st[id / 2].status, 200);
    assert_int_equal(t.st[id / 2].body_len, 3);
    assert_memory_equal(t.st[id / 2].body, "abc", 3);
    assert_int_equal(t.st[id / 2].rst, 0);

    id = get(&t, "/b", NULL);
    backend_expect_head(h, b, FORWARDED("/b")); /* the same backend connection */
    assert_false(conn_harness_backend_pending(h, 0));
    send_str(h, b, "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n");
    assert_true(client_until(h, &t, answered, id));
    assert_int_equal(t.st[id / 2].status, 404);
    assert_int_equal(t.st[id / 2].body_len, 2); /* payload only: the chunk framing is gone */
    assert_memory_equal(t.st[id / 2].body, "no", 2);
    harness_done(h, &t);
}

/* Application-data records the gateway sent, from s_client's -msg trace
 * ("<<< ... RecordHeader" then its 5 bytes in hex). */
static unsigned app_records(const char *msgfile)
{
    FILE *f = fopen(msgfile, "r");
    assert_non_null(f);
    char line[256];
    unsigned n = 0, type, v1, v2, hi, lo;
    bool header = false;
    while (fgets(line, sizeof line, f)) {
        if (header && sscanf(line, " %x %x %x %x %x", &type, &v1, &v2, &hi, &lo) == 5 && type == 0x17)
            n++;
        header = strncmp(line, "<<< ", 4) == 0 && strstr(line, "RecordHeader") != NULL;
    }
    fclose(f);
    return n;
}

/* A 512 KiB answer leaves in full TLS 1.3 records (16,383 bytes), the out
 * buffer gathering one record, not 16,384 bytes that went out as a full
 * record and a 1-byte one: ~33 records, not ~65. Windows wide open, so
 * flow control cuts none short. */
#define BIG_H2_BODY (512 * 1024)
static void test_big_answer_in_full_records(void **state)
{
    const struct tls_env *env = *state;
    char msgfile[sizeof env->dir + 16];
    snprintf(msgfile, sizeof msgfile, "%s/msg.txt", env->dir);
    struct conn_harness *h = harness(state);
    struct tclient t;
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 24}};
    client_msgfile = msgfile;
    client_start(h, &t, iv, 1);
    client_msgfile = NULL;
    assert_int_equal(nghttp2_submit_window_update(t.ng, NGHTTP2_FLAG_NONE, 0, 1 << 24), 0);
    int32_t id = get(&t, "/big", NULL);
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    backend_expect_head(h, b, FORWARDED("/big"));
    char head[128];
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BIG_H2_BODY);
    char *resp = malloc(strlen(head) + BIG_H2_BODY + 1);
    assert_non_null(resp);
    strcpy(resp, head);
    memset(resp + strlen(head), 'b', BIG_H2_BODY);
    resp[strlen(head) + BIG_H2_BODY] = '\0';
    send_str(h, b, resp); /* the whole answer in the backend's socket before the gateway reads it */
    free(resp);
    assert_true(client_until(h, &t, answered, id));
    assert_int_equal(t.st[id / 2].status, 200);
    assert_int_equal(t.st[id / 2].body_total, BIG_H2_BODY);
    harness_done(h, &t);
    unsigned records = app_records(msgfile), full = BIG_H2_BODY / 16383;
    unlink(msgfile);
    if (records > full * 3 / 2)
        fail_msg("%u application-data records for %d body bytes (%u full ones would carry them)", records,
                 BIG_H2_BODY, full + 1);
}

/* [http2] first_stream_timeout: a connection that never sends a request
 * gets GOAWAY NO_ERROR at the deadline, not a millisecond before, and
 * closes. */
static void test_first_stream_timeout(void **state)
{
    struct conn_harness *h = harness(state);
    h->cfg.http2.first_stream_timeout_ms = 3000;
    struct tclient t;
    client_start(h, &t, NULL, 0);
    assert_true(client_until(h, &t, has_settings, 0)); /* the deadline runs from here */
    client_quiet(h, &t);
    assert_true(conn_harness_advance_by(h, 2999, 100));
    client_quiet(h, &t);
    assert_true(conn_harness_advance(h, 1));
    assert_true(client_until(h, &t, goaways, 1));
    assert_int_equal(t.goaway_code[0], NGHTTP2_NO_ERROR);
    assert_int_equal(t.goaway_last[0], 0);
    close(t.to); /* the client goes: the lingering close ends */
    t.to = -1;
    assert_true(client_until(h, &t, ended, 0));
    assert_true(conn_harness_advance(h, 1000));
    assert_int_equal(conn_harness_open_conns(h), 0);
    harness_done(h, &t);
}

/* [http2] idle_timeout: no stream open that long: GOAWAY NO_ERROR naming
 * the last stream. */
static void test_idle_timeout(void **state)
{
    struct conn_harness *h = harness(state);
    h->cfg.http2.idle_timeout_ms = 5000;
    struct tclient t;
    client_start(h, &t, NULL, 0);
    int32_t id = get(&t, "/i", NULL);
    int b = conn_harness_backend_accept(h, 0);
    backend_expect_head(h, b, FORWARDED("/i"));
    send_str(h, b, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_true(client_until(h, &t, answered, id));
    assert_true(conn_harness_advance_by(h, 4999, 100));
    client_quiet(h, &t);
    assert_true(conn_harness_advance(h, 1));
    assert_true(client_until(h, &t, goaways, 1));
    assert_int_equal(t.goaway_code[0], NGHTTP2_NO_ERROR);
    assert_int_equal(t.goaway_last[0], id);
    harness_done(h, &t);
}

/* A silent backend: the stream gets 504 at response_timeout; the
 * connection goes on serving. */
static void test_stream_response_timeout(void **state)
{
    struct conn_harness *h = harness(state);
    h->cfg.limits.response_timeout_ms = 2000;
    struct tclient t;
    client_start(h, &t, NULL, 0);
    int32_t id = get(&t, "/slow", NULL);
    int b = conn_harness_backend_accept(h, 0);
    backend_expect_head(h, b, FORWARDED("/slow"));
    assert_true(conn_harness_advance_by(h, 1999, 100));
    client_quiet(h, &t);
    assert_true(conn_harness_advance(h, 1));
    assert_true(client_until(h, &t, answered, id));
    assert_int_equal(t.st[id / 2].status, 504);
    id = get(&t, "/next", NULL);
    int b2 = conn_harness_backend_accept(h, 0); /* the timed-out socket was not pooled */
    backend_expect_head(h, b2, FORWARDED("/next"));
    send_str(h, b2, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_true(client_until(h, &t, answered, id));
    assert_int_equal(t.st[id / 2].status, 200);
    harness_done(h, &t);
}

/* A client that keeps its window shut: the response cannot leave; the
 * stream is reset (CANCEL) once send_timeout passed, the backend socket
 * closed. */
static void test_shut_window_send_timeout(void **state)
{
    struct conn_harness *h = harness(state);
    h->cfg.limits.send_timeout_ms = 1000;
    h->cfg.limits.response_timeout_ms = 1500;
    nghttp2_settings_entry zero = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0};
    struct tclient t;
    client_start(h, &t, &zero, 1);
    int32_t id = get(&t, "/big", NULL);
    int b = conn_harness_backend_accept(h, 0);
    backend_expect_head(h, b, FORWARDED("/big"));
    static char resp[40000];
    int n = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: 30000\r\n\r\n");
    memset(resp + n, 'z', 30000);
    assert_true(conn_harness_send(h, b, resp, (size_t)n + 30000));
    assert_true(client_until(h, &t, has_status, id));
    client_quiet(h, &t);
    assert_int_equal(t.st[id / 2].status, 200); /* the head went, no DATA could */
    assert_int_equal(t.st[id / 2].body_len, 0);
    assert_true(conn_harness_advance_by(h, 1500, 100));
    assert_true(client_until(h, &t, answered, id));
    assert_int_equal(t.st[id / 2].rst, NGHTTP2_CANCEL + 1);
    char buf[64];
    bool eof = false;
    conn_harness_recv_wait(h, b, buf, sizeof buf, 1, &eof);
    assert_true(eof); /* the backend connection went with it */
    harness_done(h, &t);
}

/* Drain: GOAWAY naming the highest stream id, CONN_DRAIN_IDLE_GRACE_MS
 * later the final one with the last stream taken; the stream in flight
 * still gets its answer, then the connection closes. */
static void test_drain_two_step_goaway(void **state)
{
    struct conn_harness *h = harness(state);
    struct tclient t;
    client_start(h, &t, NULL, 0);
    int32_t id = get(&t, "/inflight", NULL);
    int b = conn_harness_backend_accept(h, 0);
    backend_expect_head(h, b, FORWARDED("/inflight"));
    h->w.draining = true;
    assert_int_equal(conn_drain(&h->w), 1);
    assert_true(client_until(h, &t, goaways, 1));
    assert_int_equal(t.goaway_last[0], INT32_MAX);
    assert_int_equal(t.goaway_code[0], NGHTTP2_NO_ERROR);
    assert_true(conn_harness_advance(h, CONN_DRAIN_IDLE_GRACE_MS));
    assert_int_equal(conn_drain(&h->w), 1);
    assert_true(client_until(h, &t, goaways, 2));
    assert_int_equal(t.goaway_last[1], id);
    send_str(h, b, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
    assert_true(client_until(h, &t, answered, id));
    assert_int_equal(t.st[id / 2].status, 200);
    assert_int_equal(t.st[id / 2].body_len, 4);
    assert_true(client_until(h, &t, ended, 0)); /* nothing left: closed */
    harness_done(h, &t);
}

/* A body larger than every buffer to a backend that does not read: the
 * gateway holds at most its buffers (the client's window shuts), and all
 * of it arrives, in order, once the backend reads. */
static void test_upload_back_pressure(void **state)
{
    struct conn_harness *h = harness(state);
    int rcvbuf = BACKEND_RCVBUF; /* inherited by the accepted backend socket */
    assert_int_equal(setsockopt(h->backend_listen[0], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    struct tclient t;
    client_start(h, &t, NULL, 0);
    t.upload_left = BODY_MAX;
    nghttp2_data_provider up = {.read_callback = c_upload};
    int32_t id = get(&t, "/up", &up);
    int b = conn_harness_backend_accept(h, 0);
    assert_true(b >= 0);
    for (unsigned i = 0; i < QUIET; i++)
        client_io(h, &t);
    assert_true(t.uploaded < BODY_MAX); /* stopped by the window, not by the end */
    size_t got = 0, head_end = 0;
    static char buf[BODY_MAX + BODY_MAX / 64];
    bool last = false; /* the last chunk came */
    for (unsigned i = 0; i < 50 * CONN_HARNESS_WAIT_STEPS && !last; i++) {
        client_io(h, &t);
        ssize_t n = read(b, buf + got, sizeof buf - got - 1);
        if (n > 0)
            got += (size_t)n;
        buf[got] = '\0';
        char *e = head_end ? NULL : strstr(buf, "\r\n\r\n");
        if (e)
            head_end = (size_t)(e + 4 - buf);
        last = head_end && got >= head_end + 5 && memcmp(buf + got - 5, "0\r\n\r\n", 5) == 0;
    }
    assert_non_null(strstr(buf, "POST /up HTTP/1.1\r\n"));
    assert_non_null(strstr(buf, "transfer-encoding: chunked\r\n")); /* no content-length was sent */
    assert_true(head_end > 0);
    /* de-chunk and count: every byte is 'u', BODY_MAX of them, then the last chunk */
    size_t payload = 0;
    for (char *p = buf + head_end; p < buf + got;) {
        size_t len = strtoul(p, &p, 16);
        if (len == 0)
            break;
        p += 2;
        for (size_t k = 0; k < len; k++)
            assert_int_equal(p[k], 'u');
        payload += len;
        p += len + 2;
    }
    assert_int_equal(payload, BODY_MAX);
    send_str(h, b, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    assert_true(client_until(h, &t, answered, id));
    assert_int_equal(t.st[id / 2].status, 201);
    harness_done(h, &t);
}

/* A malformed request is reset (PROTOCOL_ERROR), reaches no backend, and
 * counts as a refusal for the abuse detector, like an HTTP/1.1 client's
 * 400; the connection serves on. */
static void test_malformed_request_counts_for_abuse(void **state)
{
    struct conn_harness *h = harness(state);
    static struct abuse ab;
    abuse_init(&ab, 1, 60000); /* the first refusal makes an offender */
    h->w.abuse = &ab;
    struct tclient t;
    client_start(h, &t, NULL, 0);
    nghttp2_nv bad[] = {
        {(uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0},
        {(uint8_t *)":scheme", (uint8_t *)"https", 7, 5, 0},
        {(uint8_t *)":authority", (uint8_t *)HOST, 10, strlen(HOST), 0},
        {(uint8_t *)":path", (uint8_t *)"/", 5, 1, 0},
        {(uint8_t *)"transfer-encoding", (uint8_t *)"chunked", 17, 7, NGHTTP2_NV_FLAG_NO_INDEX},
    };
    int32_t id = nghttp2_submit_request(t.ng, NULL, bad, 5, NULL, NULL);
    client_send(&t);
    assert_true(client_until(h, &t, answered, id));
    assert_int_equal(t.st[id / 2].rst, NGHTTP2_PROTOCOL_ERROR + 1);
    assert_false(conn_harness_backend_pending(h, 0));
    struct ip_addr offenders[4];
    assert_int_equal(abuse_take(&ab, offenders, 4), 1);
    char text[PARSE_ADDR_STR_MAX];
    assert_string_equal(format_ip(&offenders[0], text, sizeof text), CONN_HARNESS_PEER_IP);
    id = get(&t, "/after", NULL);
    int b = conn_harness_backend_accept(h, 0);
    backend_expect_head(h, b, FORWARDED("/after"));
    send_str(h, b, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_true(client_until(h, &t, answered, id));
    assert_int_equal(t.st[id / 2].status, 200);
    h->w.abuse = NULL;
    harness_done(h, &t);
    abuse_destroy(&ab);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_and_pooled_backend),
        cmocka_unit_test(test_big_answer_in_full_records),
        cmocka_unit_test(test_first_stream_timeout),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_stream_response_timeout),
        cmocka_unit_test(test_shut_window_send_timeout),
        cmocka_unit_test(test_drain_two_step_goaway),
        cmocka_unit_test(test_upload_back_pressure),
        cmocka_unit_test(test_malformed_request_counts_for_abuse),
    };
    return cmocka_run_group_tests(tests, tls_setup, tls_teardown);
}
