/* libFuzzer target: any bytes as a client's request stream (fed in two
 * pieces, as sockets deliver them) must give forwarded requests or an
 * error status, never a crash; every accepted head is rewritten for the
 * backend and answered with a redirect, as the gateway does.
 * Run: make fuzz && build-fuzz/fuzz/fuzz_http -max_total_time=60 */
#include "gateway/http/http_parse.h"
#include "gateway/http/http_rules.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_OUT (HTTP_HEAD_LIMIT + 4096)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise_head(const struct http_head *h, const char *base)
{
    static char out[FUZZ_OUT];
    struct http_request_info info;
    if (http_request_check(h, base, true, &info) != 0)
        return;
    struct http_forward f = {.client_ip = "198.18.0.1", .https = true, .new_request_id = "id"};
    http_request_write(h, base, &info, &f, out, sizeof out);
    struct http_reply_opts o = {.https = true, .hsts_max_age_s = 60};
    http_reply_redirect(h, base, &info, &o, out, sizeof out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = data[0] % (size + 1); /* where the first read ends */
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    if (split > len)
        split = len;
    static struct http_head head;
    struct http_parser p;
    struct http_limits lim = {.max_head = 4096, .max_uri = 1024, .max_headers = 32, .max_body = 1 << 16};
    http_parser_init(&p, HTTP_REQUEST, &head, &lim);
    const char *msg = buf;
    http_parser_next(&p, msg);
    size_t off = 0, avail = split;
    for (int guard = 0; guard < 1000 && off <= len; guard++) {
        size_t used;
        enum http_feed r = http_parser_feed(&p, buf + off, avail - off, &used);
        off += used;
        if (r == HTTP_FEED_ERROR || r == HTTP_FEED_UPGRADE)
            break;
        if (r == HTTP_FEED_HEAD)
            exercise_head(&head, msg);
        else if (r == HTTP_FEED_DONE) {
            msg = buf + off;
            http_parser_next(&p, msg);
        } else if (used == 0) {
            if (avail == len)
                break;
            avail = len; /* the second read arrives */
        }
    }
    return 0;
}
