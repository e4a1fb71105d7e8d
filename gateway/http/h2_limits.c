/*
 * h2_limits: a frame-header scanner over the client's bytes and the
 * budgets it keeps. See h2_limits.h.
 */
#include "gateway/http/h2_limits.h"

#include <string.h>

void h2_scan_init(struct h2_scan *s, const struct h2_limits_config *cfg, uint64_t now_ms)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->preface_left = H2_PREFACE_LEN;
    s->reset_milli = (uint64_t)cfg->max_resets_per_s * H2_RESET_TOKEN_MILLI;
    s->reset_ms = now_ms;
}

static void progress(struct h2_scan *s)
{
    s->idle_frames = 0;
    s->body_in = s->body_out = 0;
}

static bool fail(struct h2_scan *s, enum h2_limit l)
{
    if (s->hit == H2_LIMIT_NONE)
        s->hit = l;
    return false;
}

/* The bucket refills max_resets_per_s tokens a second, up to that many. */
static bool take_reset(struct h2_scan *s, uint64_t now_ms)
{
    uint64_t cap = (uint64_t)s->cfg.max_resets_per_s * H2_RESET_TOKEN_MILLI;
    if (now_ms > s->reset_ms) {
        uint64_t add = (now_ms - s->reset_ms) * s->cfg.max_resets_per_s; /* milli-tokens per ms */
        s->reset_milli = s->reset_milli + add > cap ? cap : s->reset_milli + add;
        s->reset_ms = now_ms;
    }
    if (s->reset_milli < H2_RESET_TOKEN_MILLI)
        return fail(s, H2_LIMIT_RESETS);
    s->reset_milli -= H2_RESET_TOKEN_MILLI;
    return true;
}

static bool idle_frame(struct h2_scan *s)
{
    return ++s->idle_frames <= s->cfg.max_idle_frames || fail(s, H2_LIMIT_IDLE_FRAMES);
}

static bool header_block(struct h2_scan *s, uint8_t type, uint8_t flags, uint32_t len)
{
    if (type == H2_FRAME_HEADERS) {
        s->block_frames = 0;
        s->block_bytes = 0;
    } else if (++s->block_frames > s->cfg.max_continuations) {
        return fail(s, H2_LIMIT_CONTINUATIONS);
    }
    s->block_bytes += len;
    if (s->block_bytes > s->cfg.max_header_block)
        return fail(s, H2_LIMIT_HEADER_BLOCK);
    s->in_block = !(flags & H2_FLAG_END_HEADERS);
    if (!s->in_block)
        progress(s);
    return true;
}

static bool data_frame(struct h2_scan *s, uint8_t flags, uint32_t len)
{
    if (flags & H2_FLAG_END_STREAM) {
        progress(s);
        return true;
    }
    if (len == 0)
        return idle_frame(s);
    s->body_in += len;
    if (s->body_in >= H2_PROGRESS_BYTES)
        progress(s);
    return true;
}

/* One complete frame header: false when the frame breaks a budget. A
 * frame the protocol forbids here (a CONTINUATION out of a block, a
 * DATA inside one) is nghttp2's to refuse; it is only counted. */
static bool frame(struct h2_scan *s, uint64_t now_ms)
{
    const uint8_t *h = s->head;
    uint32_t len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
    uint8_t type = h[3], flags = h[4];
    s->frames++;
    s->payload_left = len;
    if (type == H2_FRAME_HEADERS || (type == H2_FRAME_CONTINUATION && s->in_block))
        return header_block(s, type, flags, len);
    switch (type) {
    case H2_FRAME_DATA: return data_frame(s, flags, len);
    case H2_FRAME_RST_STREAM: return take_reset(s, now_ms);
    case H2_FRAME_CONTINUATION: return true;
    default: return idle_frame(s); /* control, extension and unknown frames */
    }
}

size_t h2_scan_feed(struct h2_scan *s, const uint8_t *data, size_t n, uint64_t now_ms)
{
    size_t i = 0;
    if (s->hit != H2_LIMIT_NONE)
        return 0;
    if (s->preface_left) {
        size_t take = n < s->preface_left ? n : s->preface_left;
        s->preface_left -= (uint32_t)take;
        i = take;
    }
    while (i < n) {
        if (s->payload_left) {
            size_t take = n - i < s->payload_left ? n - i : s->payload_left;
            s->payload_left -= (uint32_t)take;
            i += take;
            continue;
        }
        /* where the frame began: in an earlier feed, then nothing of this one goes on */
        size_t frame_start = s->head_len ? 0 : i;
        size_t take = H2_FRAME_HEAD_LEN - s->head_len;
        if (take > n - i)
            take = n - i;
        memcpy(s->head + s->head_len, data + i, take);
        s->head_len = (uint8_t)(s->head_len + take);
        i += take;
        if (s->head_len < H2_FRAME_HEAD_LEN)
            break;
        s->head_len = 0;
        if (!frame(s, now_ms))
            return frame_start;
    }
    return n;
}

void h2_scan_progress(struct h2_scan *s, size_t n)
{
    s->body_out += n;
    if (s->body_out >= H2_PROGRESS_BYTES)
        progress(s);
}

bool h2_scan_reset(struct h2_scan *s, uint64_t now_ms)
{
    return take_reset(s, now_ms);
}

const char *h2_limit_name(enum h2_limit l)
{
    static const char *const names[H2_LIMIT_COUNT] = {"none", "continuations", "header_block", "idle_frames",
                                                      "resets"};
    return l < H2_LIMIT_COUNT ? names[l] : "unknown";
}
