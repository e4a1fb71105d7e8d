/*
 * h2_session: nghttp2 behind h2_limits and h2_rules for one connection.
 * See h2_session.h.
 */
#include "gateway/http/h2_session.h"
#include "gateway/http/h2_pages.h"

#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>

struct h2_session {
    nghttp2_session *ng;
    struct h2_pages pages; /* nghttp2's memory (its frame buffer on pages of its own) */
    const struct h2_session_ops *ops;
    void *owner;
    struct h2_settings set;
    struct h2_scan scan;
    uint64_t now_ms;
    struct h2_stream *streams; /* open, owner-side (for h2_session_free) */
    unsigned n_open;
    const uint8_t *pend; /* the rest of nghttp2's current output chunk */
    size_t pend_len;
    uint8_t *stall; /* request body the owner had no room for yet (H2_STALL_MAX) */
    size_t stall_len;
    int32_t stall_id;
    uint8_t raw[H2_GOAWAY_FRAME_LEN]; /* after a fatal error: our own GOAWAY */
    uint8_t raw_len, raw_off;
    bool failed;     /* nghttp2 gave up: only `raw` is left to send */
    bool limit_told; /* the budget h2_scan broke was reported */
    bool any_stream;
};

const char *h2_error_name(uint32_t code)
{
    static const char *const names[H2_ERROR_CODES] = {
        "NO_ERROR",
        "PROTOCOL_ERROR",
        "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR",
        "SETTINGS_TIMEOUT",
        "STREAM_CLOSED",
        "FRAME_SIZE_ERROR",
        "REFUSED_STREAM",
        "CANCEL",
        "COMPRESSION_ERROR",
        "CONNECT_ERROR",
        "ENHANCE_YOUR_CALM",
        "INADEQUATE_SECURITY",
        "HTTP_1_1_REQUIRED",
    };
    return code < H2_ERROR_CODES ? names[code] : "UNKNOWN";
}

const char *h2_session_limit_name(enum h2_session_limit l)
{
    static const char *const names[H2_HIT_COUNT] = {
        [H2_HIT_CONTINUATIONS] = "continuations",
        [H2_HIT_HEADER_BLOCK] = "header_block_size",
        [H2_HIT_IDLE_FRAMES] = "frames_without_progress",
        [H2_HIT_RESETS] = "resets_per_second",
        [H2_HIT_CONCURRENT_STREAMS] = "concurrent_streams",
        [H2_HIT_HEADER_LIST] = "header_list_size",
        [H2_HIT_HPACK] = "hpack",
        [H2_HIT_FLOOD] = "flood",
        [H2_HIT_FIRST_STREAM_TIMEOUT] = "first_stream_timeout",
        [H2_HIT_IDLE_TIMEOUT] = "idle_timeout",
        [H2_HIT_SEND_TIMEOUT] = "send_timeout",
    };
    return l < H2_HIT_COUNT && names[l] ? names[l] : "unknown";
}

static void event(struct h2_session *s, enum h2_event ev, uint32_t arg)
{
    if (s->ops->event)
        s->ops->event(s->owner, ev, arg);
}

static struct h2_stream *stream_of(struct h2_session *s, int32_t id)
{
    return nghttp2_session_get_stream_user_data(s->ng, id);
}

/* Our RST_STREAM for what the client sent; its frames are ignored from
 * now on. */
static int reject(struct h2_session *s, struct h2_stream *st, uint32_t code)
{
    st->rejected = true;
    nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id, code);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

/* ---- nghttp2 callbacks: requests in ----------------------------------------------------- */

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *arg)
{
    struct h2_session *s = arg;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    s->any_stream = true;
    struct h2_stream *st = s->ops->open(s->owner, frame->hd.stream_id);
    if (!st) {
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_REFUSED_STREAM);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    nghttp2_session_set_stream_user_data(ng, frame->hd.stream_id, st);
    st->next = s->streams;
    if (s->streams)
        s->streams->prev = st;
    s->streams = st;
    s->n_open++;
    return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *arg)
{
    (void)ng, (void)flags;
    struct h2_session *s = arg;
    struct h2_stream *st = stream_of(s, frame->hd.stream_id);
    if (!st || st->rejected || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* trailers: checked by nghttp2, not forwarded */
    enum h2_verdict v = h2_head_add(&st->head, (const char *)name, nlen, (const char *)value, vlen);
    return v == H2_MALFORMED ? reject(s, st, NGHTTP2_PROTOCOL_ERROR) : 0;
}

static void stream_end(struct h2_session *s, struct h2_stream *st)
{
    if (h2_head_body_end(&st->head) != H2_OK) {
        reject(s, st, NGHTTP2_PROTOCOL_ERROR); /* fewer bytes than content-length */
        return;
    }
    if (st->started)
        s->ops->end(s->owner, st);
}

static void request_head(struct h2_session *s, struct h2_stream *st, bool end_stream)
{
    enum h2_verdict v = h2_head_finish(&st->head, end_stream, &st->body);
    if (v == H2_MALFORMED) {
        reject(s, st, NGHTTP2_PROTOCOL_ERROR);
        return;
    }
    if (v == H2_TOO_LARGE)
        event(s, H2_EV_LIMIT, H2_HIT_HEADER_LIST);
    st->started = true;
    s->ops->request(s->owner, st, v == H2_TOO_LARGE ? 431 : 0);
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *arg)
{
    (void)ng;
    struct h2_session *s = arg;
    if (frame->hd.type == NGHTTP2_RST_STREAM)
        event(s, H2_EV_RST_RECEIVED, frame->rst_stream.error_code);
    if (frame->hd.type == NGHTTP2_GOAWAY)
        event(s, H2_EV_GOAWAY_RECEIVED, frame->goaway.error_code);
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    struct h2_stream *st = stream_of(s, frame->hd.stream_id);
    if (!st || st->rejected)
        return 0;
    bool end_stream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        request_head(s, st, end_stream);
    if (end_stream && !st->rejected)
        stream_end(s, st);
    return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                         void *arg)
{
    (void)flags;
    struct h2_session *s = arg;
    struct h2_stream *st = stream_of(s, id);
    if (!st || st->rejected || !st->started) {
        nghttp2_session_consume_connection(ng, len); /* dropped: the connection's window comes back */
        return 0;
    }
    if (h2_head_body(&st->head, len) != H2_OK) {
        reject(s, st, NGHTTP2_PROTOCOL_ERROR); /* more than content-length */
        nghttp2_session_consume_connection(ng, len);
        return 0;
    }
    size_t took = s->ops->data(s->owner, st, data, len);
    st->received += took;
    if (took == len)
        return 0;
    /* Sent before our SETTINGS applied: hold the rest, read no further. */
    if (!s->stall && !(s->stall = malloc(H2_STALL_MAX)))
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    if (len - took > H2_STALL_MAX)
        return NGHTTP2_ERR_CALLBACK_FAILURE; /* a frame larger than we allow: nghttp2 refused it first */
    memcpy(s->stall, data + took, len - took);
    s->stall_len = len - took;
    s->stall_id = id;
    return NGHTTP2_ERR_PAUSE;
}

static void stall_drop(struct h2_session *s)
{
    free(s->stall);
    s->stall = NULL;
    s->stall_len = 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *arg)
{
    struct h2_session *s = arg;
    struct h2_stream *st = stream_of(s, id);
    if (!st)
        return 0;
    if (st->received > st->consumed)
        nghttp2_session_consume_connection(ng, st->received - st->consumed);
    if (s->stall_len && s->stall_id == id) {
        nghttp2_session_consume_connection(ng, s->stall_len);
        stall_drop(s);
    }
    if (st->prev)
        st->prev->next = st->next;
    else
        s->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    s->n_open--;
    nghttp2_session_set_stream_user_data(ng, id, NULL);
    s->ops->close(s->owner, st, code);
    return 0;
}

/* ---- nghttp2 callbacks: frames out ----------------------------------------------------- */

/* Resets the client's frames caused count like its own RST_STREAMs. */
static bool client_caused(uint32_t code)
{
    return code == NGHTTP2_PROTOCOL_ERROR || code == NGHTTP2_REFUSED_STREAM ||
           code == NGHTTP2_FLOW_CONTROL_ERROR || code == NGHTTP2_STREAM_CLOSED ||
           code == NGHTTP2_FRAME_SIZE_ERROR;
}

static void sent_rst(struct h2_session *s, uint32_t code)
{
    event(s, H2_EV_RST_SENT, code);
    if (code == NGHTTP2_REFUSED_STREAM)
        event(s, H2_EV_LIMIT, H2_HIT_CONCURRENT_STREAMS);
    if (client_caused(code) && !h2_scan_reset(&s->scan, s->now_ms) && !s->limit_told) {
        s->limit_told = true;
        event(s, H2_EV_LIMIT, H2_HIT_RESETS);
        nghttp2_session_terminate_session(s->ng, NGHTTP2_ENHANCE_YOUR_CALM);
    }
}

static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *arg)
{
    struct h2_session *s = arg;
    if (frame->hd.type == NGHTTP2_RST_STREAM)
        sent_rst(s, frame->rst_stream.error_code);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        event(s, H2_EV_GOAWAY_SENT, frame->goaway.error_code);
        if (frame->goaway.error_code == NGHTTP2_COMPRESSION_ERROR)
            event(s, H2_EV_LIMIT, H2_HIT_HPACK);
    }
    bool ends = (frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
                (frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
    /* The answer is complete while the request is not: the client may
     * stop sending it (RFC 9113 §8.1). */
    if (ends && !nghttp2_session_get_stream_remote_close(ng, frame->hd.stream_id))
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    return 0;
}

static ssize_t read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *arg)
{
    (void)ng, (void)id;
    struct h2_session *s = arg;
    struct h2_stream *st = src->ptr;
    bool eof = false;
    size_t n = s->ops->body(s->owner, st, buf, len, &eof);
    if (eof)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    else if (n == 0)
        return NGHTTP2_ERR_DEFERRED;
    h2_scan_progress(&s->scan, n);
    return (ssize_t)n;
}

void h2_session_idle(struct h2_session *s)
{
    if (!s->pend_len && !s->failed && !nghttp2_session_want_write(s->ng))
        h2_pages_release(&s->pages); /* nghttp2 holds no frame now */
}

/* ---- set-up ------------------------------------------------------------------------------ */

static nghttp2_session_callbacks *callbacks(void)
{
    nghttp2_session_callbacks *cb;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        return NULL;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    return cb;
}

/* nghttp2's own budgets sit above ours: they only ever act as backstops. */
static nghttp2_option *options(const struct h2_settings *set)
{
    nghttp2_option *o;
    if (nghttp2_option_new(&o) != 0)
        return NULL;
    nghttp2_option_set_no_auto_window_update(o, 1);
    nghttp2_option_set_no_closed_streams(o, 1);
    nghttp2_option_set_max_deflate_dynamic_table_size(o, H2_DEFLATE_TABLE);
    nghttp2_option_set_max_outbound_ack(o, H2_MAX_OUTBOUND_ACKS);
    nghttp2_option_set_max_settings(o, H2_MAX_SETTINGS);
    nghttp2_option_set_max_continuations(o, set->limits.max_continuations + 1);
    uint64_t resets = 4 * (uint64_t)set->limits.max_resets_per_s;
    nghttp2_option_set_stream_reset_rate_limit(o, resets, resets);
    return o;
}

static int submit_settings(struct h2_session *s)
{
    const struct h2_settings *set = &s->set;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, set->max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, set->stream_window},
        {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, set->header_table_size},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, set->max_header_list_size},
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
        {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1}, /* WebSockets (RFC 8441) */
    };
    if (nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]) != 0)
        return -1;
    return nghttp2_session_set_local_window_size(s->ng, NGHTTP2_FLAG_NONE, 0, H2_CONN_WINDOW);
}

struct h2_session *h2_session_new(const struct h2_settings *set, const struct h2_session_ops *ops,
                                  void *owner, uint64_t now_ms)
{
    struct h2_session *s = calloc(1, sizeof *s);
    nghttp2_session_callbacks *cb = callbacks();
    nghttp2_option *o = options(set);
    if (!s || !cb || !o)
        goto fail;
    s->ops = ops;
    s->owner = owner;
    s->set = *set;
    s->now_ms = now_ms;
    h2_scan_init(&s->scan, &set->limits, now_ms);
    nghttp2_mem mem;
    h2_pages_mem(&s->pages, &mem);
    if (nghttp2_session_server_new3(&s->ng, cb, s, o, &mem) != 0) {
        s->ng = NULL;
        goto fail;
    }
    if (submit_settings(s) != 0)
        goto fail;
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(o);
    return s;
fail:
    if (s && s->ng)
        nghttp2_session_del(s->ng);
    free(s);
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(o);
    return NULL;
}

void h2_session_free(struct h2_session *s)
{
    if (!s)
        return;
    while (s->streams) { /* nghttp2_session_del tells no one */
        struct h2_stream *st = s->streams;
        s->streams = st->next;
        s->ops->close(s->owner, st, NGHTTP2_CANCEL);
    }
    stall_drop(s);
    nghttp2_session_del(s->ng);
    h2_pages_free(&s->pages);
    free(s);
}

void h2_session_stream_init(struct h2_session *s, struct h2_stream *st, int32_t id, char *buf, size_t cap)
{
    memset(st, 0, sizeof *st);
    st->id = id;
    st->buf_cap = (uint32_t)cap;
    h2_head_init(&st->head, buf, cap, s->set.max_header_list_size, s->set.max_fields, true);
}

/* ---- bytes in and out ------------------------------------------------------------------- */

/* nghttp2 refused to go on (bad preface, its own flood guards, no
 * memory): the session is not used again; our own GOAWAY goes out
 * after what nghttp2 had half sent. */
static int session_fail(struct h2_session *s, ssize_t err)
{
    uint32_t code = NGHTTP2_INTERNAL_ERROR;
    if (err == NGHTTP2_ERR_BAD_CLIENT_MAGIC)
        code = NGHTTP2_PROTOCOL_ERROR;
    if (err == NGHTTP2_ERR_FLOODED || err == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
        code = NGHTTP2_ENHANCE_YOUR_CALM;
        event(s, H2_EV_LIMIT, H2_HIT_FLOOD);
    }
    int32_t last = nghttp2_session_get_last_proc_stream_id(s->ng);
    uint8_t *g = s->raw;
    memset(g, 0, sizeof s->raw);
    g[2] = 8, g[3] = NGHTTP2_GOAWAY;
    g[9] = (uint8_t)((last >> 24) & 0x7f), g[10] = (uint8_t)(last >> 16), g[11] = (uint8_t)(last >> 8);
    g[12] = (uint8_t)last;
    g[16] = (uint8_t)code;
    s->raw_len = H2_GOAWAY_FRAME_LEN;
    s->failed = true;
    event(s, H2_EV_GOAWAY_SENT, code);
    return -1;
}

int h2_session_recv(struct h2_session *s, const uint8_t *data, size_t n, uint64_t now_ms, size_t *used)
{
    *used = 0;
    if (s->failed)
        return -1;
    if (s->stall_len)
        return 0;
    s->now_ms = now_ms;
    struct h2_scan before = s->scan;
    size_t ok = h2_scan_feed(&s->scan, data, n, now_ms);
    if (ok > 0) {
        ssize_t r = nghttp2_session_mem_recv(s->ng, data, ok);
        if (r < 0)
            return session_fail(s, r);
        if ((size_t)r < ok) { /* paused: the rest is scanned again when it comes again */
            s->scan = before;
            h2_scan_feed(&s->scan, data, (size_t)r, now_ms);
            *used = (size_t)r;
            return 0;
        }
    }
    *used = n;
    if (s->scan.hit != H2_LIMIT_NONE) {
        if (!s->limit_told) {
            s->limit_told = true;
            event(s, H2_EV_LIMIT, (uint32_t)s->scan.hit);
            nghttp2_session_terminate_session(s->ng, NGHTTP2_ENHANCE_YOUR_CALM);
        }
        return -1;
    }
    return nghttp2_session_want_read(s->ng) ? 0 : -1;
}

bool h2_session_stalled(const struct h2_session *s)
{
    return s->stall_len > 0;
}

bool h2_session_unstall(struct h2_session *s)
{
    if (!s->stall_len)
        return true;
    struct h2_stream *st = stream_of(s, s->stall_id);
    if (!st) { /* gone meanwhile (on_stream_close drops its stall) */
        stall_drop(s);
        return true;
    }
    size_t took = s->ops->data(s->owner, st, s->stall, s->stall_len);
    st->received += took;
    memmove(s->stall, s->stall + took, s->stall_len - took);
    s->stall_len -= took;
    if (s->stall_len)
        return false;
    stall_drop(s);
    return true;
}

static size_t send_raw(struct h2_session *s, uint8_t *out, size_t cap)
{
    size_t take = (size_t)(s->raw_len - s->raw_off);
    take = take < cap ? take : cap;
    memcpy(out, s->raw + s->raw_off, take);
    s->raw_off = (uint8_t)(s->raw_off + take);
    return take;
}

size_t h2_session_send(struct h2_session *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        if (s->pend_len == 0) {
            if (s->failed)
                return n + send_raw(s, out + n, cap - n);
            const uint8_t *p;
            ssize_t r = nghttp2_session_mem_send(s->ng, &p);
            if (r < 0) {
                session_fail(s, r);
                continue;
            }
            if (r == 0)
                break;
            s->pend = p;
            s->pend_len = (size_t)r;
        }
        size_t take = s->pend_len < cap - n ? s->pend_len : cap - n;
        memcpy(out + n, s->pend, take);
        s->pend += take;
        s->pend_len -= take;
        n += take;
    }
    return n;
}

bool h2_session_want_write(const struct h2_session *s)
{
    if (s->pend_len)
        return true;
    if (s->failed)
        return s->raw_off < s->raw_len;
    return nghttp2_session_want_write(s->ng) != 0;
}

bool h2_session_done(const struct h2_session *s)
{
    if (h2_session_want_write(s))
        return false;
    return s->failed || !nghttp2_session_want_read(s->ng);
}

unsigned h2_session_open_streams(const struct h2_session *s)
{
    return s->n_open;
}

bool h2_session_any_stream(const struct h2_session *s)
{
    return s->any_stream;
}

/* ---- the owner's submissions ------------------------------------------------------------ */

int h2_session_respond(struct h2_session *s, struct h2_stream *st, const struct h2_field *f, size_t n,
                       bool final, bool body)
{
    nghttp2_nv nv[H2_RESPONSE_FIELDS];
    if (s->failed || n > H2_RESPONSE_FIELDS)
        return -1;
    for (size_t i = 0; i < n; i++)
        nv[i] = (nghttp2_nv){(uint8_t *)(uintptr_t)f[i].name, (uint8_t *)(uintptr_t)f[i].value, f[i].nlen,
                             f[i].vlen, NGHTTP2_NV_FLAG_NONE};
    if (!final)
        return nghttp2_submit_headers(s->ng, NGHTTP2_FLAG_NONE, st->id, NULL, nv, n, NULL) < 0 ? -1 : 0;
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_body};
    st->responded = true;
    return nghttp2_submit_response(s->ng, st->id, nv, n, body ? &prd : NULL) == 0 ? 0 : -1;
}

void h2_session_resume(struct h2_session *s, struct h2_stream *st)
{
    if (!s->failed)
        nghttp2_session_resume_data(s->ng, st->id);
}

void h2_session_body_sent(struct h2_session *s, struct h2_stream *st, uint32_t unsent)
{
    uint64_t credit = h2_body_credit(st->buf_cap, unsent, st->received, st->consumed, s->set.stream_window);
    if (credit == 0 || s->failed)
        return;
    if (nghttp2_session_consume(s->ng, st->id, credit) != 0)
        nghttp2_session_consume_connection(s->ng, credit);
    st->consumed += credit;
}

void h2_session_reset(struct h2_session *s, struct h2_stream *st, uint32_t code)
{
    if (s->failed)
        return;
    st->rejected = true;
    nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id, code);
}

void h2_session_shutdown_notice(struct h2_session *s)
{
    if (!s->failed)
        nghttp2_submit_shutdown_notice(s->ng);
}

void h2_session_goaway(struct h2_session *s, uint32_t code)
{
    if (s->failed)
        return;
    if (code == NGHTTP2_NO_ERROR)
        nghttp2_submit_goaway(s->ng, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(s->ng),
                              NGHTTP2_NO_ERROR, NULL, 0);
    else
        nghttp2_session_terminate_session(s->ng, code);
}
