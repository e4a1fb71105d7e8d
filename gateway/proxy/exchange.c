/*
 * conn_worker: what conn.c keeps per worker thread: the backend pool, a
 * small cache of request buffers (struct exchange), the request-id random
 * state, the heap trim (conn_trim_note, conn_internal.h); freed once a
 * draining worker has no connection left.
 */
#include "gateway/proxy/conn_internal.h"

#include "gateway/proxy/admission.h"

#include "gateway/upstream/backend_pool.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

/* ---- per-worker state ------------------------------------------------------ */

struct conn_worker *conn_worker_of(struct worker *w)
{
    if (w->conns)
        return w->conns;
    struct conn_worker *cw = calloc(1, sizeof *cw);
    if (!cw)
        return NULL;
    cw->pool = backend_pool_new(w->loop, w->backends ? w->backends->count : 0, 0);
    if (!cw->pool || getrandom(cw->rng, sizeof cw->rng, 0) != (ssize_t)sizeof cw->rng) {
        backend_pool_free(cw->pool);
        free(cw);
        return NULL;
    }
    cw->rng[0] |= 1;
    w->conns = cw;
    return cw;
}

void conn_worker_destroy(struct worker *w)
{
    struct conn_worker *cw = w->conns;
    if (!cw)
        return;
    loop_timer_clear(w->loop, &cw->queue_poll);
    loop_timer_clear(w->loop, &cw->trim);
    backend_pool_free(cw->pool);
    while (cw->free_x) {
        struct exchange *x = cw->free_x;
        cw->free_x = x->next_free;
        free(x);
    }
    free(cw);
    w->conns = NULL;
}

static void worker_destroy_deferred(void *arg)
{
    conn_worker_destroy(arg);
}

/* A draining worker accepts nothing more: once its last connection is
 * gone, its pool and caches go too (after the current batch of events,
 * which may still name a pooled socket). */
void conn_release_if_drained(struct worker *w)
{
    struct conn_worker *cw = w->conns;
    if (!cw || !admission_drained(w) || cw->head || cw->destroying)
        return;
    cw->destroying = true;
    if (loop_defer(w->loop, worker_destroy_deferred, w) < 0)
        cw->destroying = false;
}

/* ---- giving freed memory back to the kernel ----------------------------------- */

void exchange_buffers_range(const struct exchange *x, uintptr_t *start, uintptr_t *end)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    *start = ((uintptr_t)x->cin_data + page - 1) & ~(page - 1);
    *end = ((uintptr_t)x->cout_data + sizeof x->cout_data) & ~(page - 1);
    if (*end < *start)
        *end = *start;
}

/* The cached exchanges stay allocated (a gone one must still read as one
 * until the batch ends), but the whole pages of their four buffers go:
 * after MADV_DONTNEED they read as zeros when next touched, and nothing
 * reads a cached exchange's buffers before exchange_take resets them. */
static void exchange_cache_release(struct conn_worker *cw)
{
    for (struct exchange *x = cw->free_x; x; x = x->next_free) {
        uintptr_t start, end;
        exchange_buffers_range(x, &start, &end);
        if (end > start)
            (void)madvise((void *)start, end - start, MADV_DONTNEED);
    }
}

static void conn_trim_fire(struct loop *loop, struct loop_timer *t)
{
    (void)loop;
    struct conn_worker *cw = t->arg;
    cw->released = 0;
    cw->trims++;
    exchange_cache_release(cw);
    (void)malloc_trim(0); /* 0: keep no padding at the top of the heap */
}

void conn_trim_note(struct worker *w, size_t bytes)
{
    struct conn_worker *cw = w->conns;
    if (!cw)
        return;
    cw->released += bytes;
    if (cw->released < CONN_TRIM_MIN_BYTES)
        return;
    uint64_t now = loop_now_ms(w->loop);
    if (!loop_timer_pending(&cw->trim)) {
        cw->trim = (struct loop_timer){.fn = conn_trim_fire, .arg = cw};
        cw->trim_armed_ms = now;
    } else if (now + CONN_TRIM_QUIET_MS > cw->trim_armed_ms + CONN_TRIM_MAX_WAIT_MS) {
        return; /* waited long enough for a quiet moment: the deadline stands */
    }
    loop_timer_set(w->loop, &cw->trim, CONN_TRIM_QUIET_MS);
}

uint64_t conn_rng_next(struct conn_worker *cw)
{
    uint64_t s1 = cw->rng[0];
    const uint64_t s0 = cw->rng[1];
    cw->rng[0] = s0;
    s1 ^= s1 << 23;
    cw->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return cw->rng[1] + s0;
}

bool conn_buf_room(struct conn_buf *b, char *data, bool may_move)
{
    if (may_move && b->start == b->end) {
        *b = (struct conn_buf){0}; /* all sent on: the whole buffer is room again */
        return true;
    }
    if (may_move && b->end == CONN_BUF_SIZE && b->start > 0) {
        memmove(data, data + b->start, b->end - b->start);
        b->mid -= b->start;
        b->end -= b->start;
        b->start = 0;
    }
    return b->end < CONN_BUF_SIZE;
}

static uint32_t buf_room(const struct conn_buf *b)
{
    return CONN_BUF_SIZE - b->end;
}

uint32_t conn_buf_read_max(struct conn_buf *b, char *data, bool may_move, uint32_t record)
{
    if (record == 0 || !may_move)
        return conn_buf_room(b, data, may_move) ? buf_room(b) : 0;
    if (record > CONN_BUF_SIZE)
        record = CONN_BUF_SIZE;
    if (b->start == b->end)
        *b = (struct conn_buf){0}; /* all sent: no move needed */
    uint32_t waiting = b->end - b->start;
    if (b->mid > b->start && waiting >= record)
        return 0; /* a record's worth waits for the client */
    uint32_t want = waiting < record ? record - waiting : record;
    if (buf_room(b) < want && b->start > 0) {
        memmove(data, data + b->start, waiting);
        b->mid -= b->start;
        b->end -= b->start;
        b->start = 0;
    }
    return buf_room(b) < want ? buf_room(b) : want;
}

/* ---- exchanges: a request's buffers ------------------------------------------ */

static void http_limits_of(const struct config *cfg, struct http_limits *lim)
{
    uint64_t head = cfg->limits.max_header_size;
    *lim = (struct http_limits){
        .max_head = (uint32_t)(head && head < CONN_BUF_SIZE ? head : CONN_BUF_SIZE),
        .max_uri = (uint32_t)(cfg->limits.max_uri_length < CONN_BUF_SIZE ? cfg->limits.max_uri_length
                                                                         : CONN_BUF_SIZE),
        .max_headers = cfg->limits.max_headers,
        .max_body = cfg->limits.max_body_size,
    };
}

/* Clears what one request left behind; the client bytes stay. */
void conn_exchange_reset(struct exchange *x)
{
    x->bin = x->bout = x->cout = (struct conn_buf){0};
    x->rq = RQ_HEAD;
    x->rs = RS_NONE;
    x->status = 0;
    x->bytes_out = x->body_sent = x->win_bytes = x->backend_took_ms = 0;
    x->resp_started = x->resp_bytes = x->reused = x->local = false;
    x->req_sent = x->early = x->continue_sent = x->win_blocked = false;
    x->connect_retries = x->stale_retries = 0;
    x->exclude = NULL;
    /* What the last request's check found must not answer the next one
     * (a HEAD's answer has no content): set again by http_request_check. */
    x->info = (struct http_request_info){.host = -1, .request_id = -1};
    x->method[0] = x->path[0] = x->request_id[0] = '\0';
    x->backend_name = NULL;
}

static void exchange_free(void *arg)
{
    free(arg);
}

struct exchange *exchange_take(struct conn *c, const struct exchange_ops *ops)
{
    struct conn_worker *cw = c->w->conns;
    struct exchange *x = cw->free_x;
    if (x) {
        cw->free_x = x->next_free;
        cw->n_free_x--;
    } else if (!(x = malloc(sizeof *x))) {
        return NULL;
    }
    x->ops = ops;
    x->c = c;
    x->xs = NULL;
    x->bio = NULL;
    x->backend = NULL;
    x->queued = (struct waitq_link){0};
    x->b_rblk = x->b_wblk = 0;
    x->backend_eof = x->backend_connected = x->tunnel = x->gone = false;
    x->info = (struct http_request_info){.host = -1, .request_id = -1};
    struct http_limits lim;
    http_limits_of(c->cfg, &lim);
    http_parser_init(&x->req_p, HTTP_REQUEST, &x->req_h, &lim);
    http_parser_next(&x->req_p, x->cin_data);
    x->cin = (struct conn_buf){0};
    conn_exchange_reset(x);
    return x;
}

/* Given back with its backend released (proxy_release). Freed after the
 * batch, not now, when the cache is full: a caller up the stack may still
 * look at x->gone. */
void exchange_give(struct exchange *x)
{
    struct conn_worker *cw = x->c->w->conns;
    x->gone = true;
    if (cw->n_free_x < CONN_EXCHANGE_CACHE) {
        x->next_free = cw->free_x;
        cw->free_x = x;
        cw->n_free_x++;
    } else {
        conn_trim_note(x->c->w, sizeof *x);
        if (loop_defer(x->c->w->loop, exchange_free, x) < 0)
            free(x); /* no memory to defer: the lesser risk */
    }
}

void conn_exchange_put(struct conn *c)
{
    struct exchange *x = c->x;
    c->x = NULL;
    if (x)
        exchange_give(x);
}
