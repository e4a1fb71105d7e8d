/*
 * health: active HTTP checks on the relay's control loop. See health.h.
 *
 * One check per backend at a time: connect (non-blocking), send the
 * request, read just far enough to see the status line, close. A check
 * that has not finished within `timeout` is a failure. The next one starts
 * `interval` after the previous one started (after it ended, if it took
 * longer), so a slow backend is never probed by overlapping checks.
 */
#include "gateway/upstream/health.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct health_check {
    struct health *h;
    struct backend *b;
    struct loop_io io;
    struct loop_timer next, timeout;
    uint64_t started_ms;
    char req[HEALTH_REQUEST_MAX];
    size_t req_len, sent;
    char resp[HEALTH_RESPONSE_MAX];
    size_t got;
};

struct health {
    struct loop *loop;
    const struct config *cfg;
    struct backend_set *set;
    struct health_check *checks;
    unsigned n;
    bool stopped;
};

/* ---- pure parts ----------------------------------------------------------------- */

size_t health_format_request(char *buf, size_t len, const struct config_health *cfg, const char *host)
{
    int n = snprintf(buf, len,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: rampart-health/" RAMPART_VERSION
                     "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
                     cfg->path, host);
    return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

int health_parse_status(const char *buf, size_t len, unsigned *status)
{
    /* "HTTP/1.x NNN" then a space or the end of the line */
    static const char prefix[] = "HTTP/1.";
    size_t plen = sizeof prefix - 1;
    size_t cmp = len < plen ? len : plen;
    if (memcmp(buf, prefix, cmp) != 0)
        return -1;
    if (len < plen + 6)
        return 0;
    const char *p = buf + plen;
    if ((p[0] != '0' && p[0] != '1') || p[1] != ' ')
        return -1;
    unsigned code = 0;
    for (int i = 2; i < 5; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        code = code * 10 + (unsigned)(p[i] - '0');
    }
    if (p[5] != ' ' && p[5] != '\r')
        return -1;
    if (code < 100 || code > 599)
        return -1;
    *status = code;
    return 1;
}

/* ---- one check ------------------------------------------------------------------ */

static void check_schedule(struct health_check *c)
{
    uint64_t interval = c->h->cfg->health.interval_ms;
    uint64_t elapsed = loop_now_ms(c->h->loop) - c->started_ms;
    loop_timer_set(c->h->loop, &c->next, elapsed < interval ? interval - elapsed : 0);
}

static void check_close(struct health_check *c)
{
    loop_timer_clear(c->h->loop, &c->timeout);
    if (c->io.fd >= 0) {
        loop_unwatch(c->h->loop, &c->io);
        close(c->io.fd);
        c->io.fd = -1;
    }
}

static void check_done(struct health_check *c, bool ok, const char *why)
{
    check_close(c);
    atomic_fetch_add(ok ? &c->b->checks_ok : &c->b->checks_failed, 1);
    backend_observe(c->h->set, c->b, ok, why);
    check_schedule(c);
}

static void check_failed_errno(struct health_check *c, const char *step, int err)
{
    char why[96];
    snprintf(why, sizeof why, "%s: %s", step, strerror(err));
    check_done(c, false, why);
}

static void check_got_status(struct health_check *c, unsigned status)
{
    const struct config_health *hc = &c->h->cfg->health;
    char why[32];
    snprintf(why, sizeof why, "status %u", status);
    check_done(c, status >= hc->expect_status_min && status <= hc->expect_status_max, why);
}

static void check_read(struct health_check *c)
{
    ssize_t n = recv(c->io.fd, c->resp + c->got, sizeof c->resp - c->got, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            check_failed_errno(c, "read", errno);
        return;
    }
    if (n == 0) {
        check_done(c, false, "closed before a status line");
        return;
    }
    c->got += (size_t)n;
    unsigned status;
    int rc = health_parse_status(c->resp, c->got, &status);
    if (rc > 0)
        check_got_status(c, status);
    else if (rc < 0 || c->got == sizeof c->resp)
        check_done(c, false, "not an HTTP response");
}

static void check_write(struct health_check *c)
{
    if (c->sent == 0) { /* first writability: the connect finished */
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            check_failed_errno(c, "connect", err);
            return;
        }
    }
    ssize_t n = send(c->io.fd, c->req + c->sent, c->req_len - c->sent, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            check_failed_errno(c, "write", errno);
        return;
    }
    c->sent += (size_t)n;
    if (c->sent == c->req_len)
        loop_watch(c->h->loop, &c->io, LOOP_READ);
}

static void on_check_io(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)loop;
    struct health_check *c = io->arg;
    if (c->sent < c->req_len) {
        if (events & LOOP_WRITE)
            check_write(c);
    } else if (events & LOOP_READ) {
        check_read(c);
    }
}

static void on_check_timeout(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct health_check *c = t->arg;
    char why[48];
    snprintf(why, sizeof why, "timeout after %llu ms", (unsigned long long)c->h->cfg->health.timeout_ms);
    check_done(c, false, why);
}

static void on_check_start(struct loop *loop, struct loop_timer *t)
{
    struct health_check *c = t->arg;
    const struct config_backend *cb = c->b->cfg;
    c->started_ms = loop_now_ms(loop);
    c->sent = c->got = 0;
    c->io.fd = socket(cb->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->io.fd < 0) {
        check_failed_errno(c, "socket", errno);
        return;
    }
    loop_timer_set(loop, &c->timeout, c->h->cfg->health.timeout_ms);
    if (connect(c->io.fd, (const struct sockaddr *)&cb->addr, cb->addr_len) < 0 && errno != EINPROGRESS) {
        check_failed_errno(c, "connect", errno);
        return;
    }
    if (loop_watch(loop, &c->io, LOOP_WRITE) < 0)
        check_failed_errno(c, "epoll", errno);
}

/* ---- the set -------------------------------------------------------------------- */

static int check_init(struct health *h, struct health_check *c, struct backend *b)
{
    *c = (struct health_check){.h = h, .b = b};
    c->io = (struct loop_io){.fd = -1, .fn = on_check_io, .arg = c};
    c->next = (struct loop_timer){.fn = on_check_start, .arg = c};
    c->timeout = (struct loop_timer){.fn = on_check_timeout, .arg = c};
    char addr[PARSE_ADDR_STR_MAX];
    const char *host = h->cfg->health.host;
    if (!host[0]) {
        struct ip_addr ip = {.family = b->cfg->addr.ss_family};
        if (ip.family == AF_INET)
            ip.u.v4 = ((const struct sockaddr_in *)&b->cfg->addr)->sin_addr;
        else
            ip.u.v6 = ((const struct sockaddr_in6 *)&b->cfg->addr)->sin6_addr;
        host = format_ip(&ip, addr, sizeof addr);
    }
    c->req_len = health_format_request(c->req, sizeof c->req, &h->cfg->health, host);
    return c->req_len ? 0 : -1;
}

struct health *health_start(struct loop *loop, const struct config *cfg, struct backend_set *set)
{
    if (set->count == 0 || cfg->health.interval_ms == 0)
        return NULL;
    struct health *h = calloc(1, sizeof *h);
    if (!h || !(h->checks = calloc(set->count, sizeof *h->checks))) {
        free(h);
        return NULL;
    }
    *h = (struct health){.loop = loop, .cfg = cfg, .set = set, .checks = h->checks, .n = set->count};
    for (unsigned i = 0; i < h->n; i++) {
        if (check_init(h, &h->checks[i], &set->items[i]) < 0) {
            log_event(LOG_LEVEL_ERROR, "health_disabled", "backend", set->items[i].cfg->name, "reason",
                      "check request too long", LOG_END);
            continue;
        }
        loop_timer_set(loop, &h->checks[i].next, 0); /* first round at once */
    }
    return h;
}

void health_stop(struct health *h)
{
    if (!h || h->stopped)
        return;
    h->stopped = true;
    for (unsigned i = 0; i < h->n; i++) {
        check_close(&h->checks[i]);
        loop_timer_clear(h->loop, &h->checks[i].next);
    }
}

void health_free(struct health *h)
{
    if (!h)
        return;
    health_stop(h);
    free(h->checks);
    free(h);
}
