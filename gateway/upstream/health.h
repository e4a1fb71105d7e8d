/*
 * health: active HTTP checks of the backends, like HAProxy's
 * `option httpchk`: every `interval`, each backend gets a fresh TCP
 * connection and "GET path HTTP/1.1"; a status within
 * [expect_status_min, expect_status_max] received within `timeout` is a
 * success, anything else a failure. Results go to backend_observe(), which
 * applies rise/fall and logs state changes. Runs on the relay's control
 * loop, non-blocking, one check in flight per backend.
 */
#ifndef RAMPART_GATEWAY_UPSTREAM_HEALTH_H
#define RAMPART_GATEWAY_UPSTREAM_HEALTH_H

#include "gateway/upstream/backend.h"
#include "gateway/config/config.h"
#include "gateway/event/loop.h"

#include <stddef.h>

#define HEALTH_RESPONSE_MAX 1024 /* bytes of the answer we look at (status line) */
#define HEALTH_REQUEST_MAX  (CONFIG_HTTP_PATH_MAX + CONFIG_NAME_MAX + 128)

struct health;

/* Starts checking every backend of set (first round at once). NULL if
 * there are no backends or interval is 0 (checks off), or out of memory. */
struct health *health_start(struct loop *loop, const struct config *cfg, struct backend_set *set);
/* Stops checking (drain); safe with NULL. */
void health_stop(struct health *h);
void health_free(struct health *h);

/* ---- pure parts, for the tests ---------------------------------------------------- */

/* The check request. Returns its length, 0 if it does not fit. */
size_t health_format_request(char *buf, size_t len, const struct config_health *cfg, const char *host);

/* Reads the status code from the start of a response ("HTTP/1.x NNN ...").
 * 1 = found (*status set), 0 = need more bytes, -1 = not an HTTP response. */
int health_parse_status(const char *buf, size_t len, unsigned *status);

#endif /* RAMPART_GATEWAY_UPSTREAM_HEALTH_H */
