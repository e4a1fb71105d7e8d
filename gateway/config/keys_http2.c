/*
 * keys_http2: the keys of [http2], the limits one HTTP/2 client
 * connection is held to (gateway/http/h2_session.h, h2_limits.h). Whether
 * h2 is offered at all is [tls] alpn.
 */
#include "gateway/config/config_internal.h"

#define H(f) offsetof(struct config_http2, f)
static const struct config_key http2_keys[] = {
    {.name = "max_concurrent_streams",
     .type = KEY_UINT,
     .offset = H(max_concurrent_streams),
     .min = 1,
     .max = 1000},
    /* The HTTP/1.1 head a request becomes must fit the request buffer
     * (CONN_BUF_SIZE, 16 KiB), as [limits] max_header_size must. */
    {.name = "max_header_list_size",
     .type = KEY_SIZE,
     .offset = H(max_header_list_size),
     .min = 1024,
     .max = 16 * 1024},
    {.name = "header_table_size", .type = KEY_SIZE, .offset = H(header_table_size), .min = 0, .max = 65536},
    {.name = "max_continuations", .type = KEY_UINT, .offset = H(max_continuations), .min = 0, .max = 256},
    {.name = "max_header_block_size",
     .type = KEY_SIZE,
     .offset = H(max_header_block_size),
     .min = 1024,
     .max = 1 << 20},
    {.name = "max_frames_without_progress",
     .type = KEY_UINT,
     .offset = H(max_frames_without_progress),
     .min = 10,
     .max = 100000},
    {.name = "max_resets_per_second",
     .type = KEY_UINT,
     .offset = H(max_resets_per_second),
     .min = 1,
     .max = 100000},
    {.name = "first_stream_timeout",
     .type = KEY_DURATION,
     .offset = H(first_stream_timeout_ms),
     .min = 100,
     .max = MS_HOUR},
    {.name = "idle_timeout", .type = KEY_DURATION, .offset = H(idle_timeout_ms), .min = 100, .max = MS_HOUR},
    {0},
};

CONFIG_FIXED_SECTION(http2, http2_keys);
