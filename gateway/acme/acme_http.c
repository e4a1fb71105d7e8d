/*
 * acme_http: bounded HTTPS requests with libcurl. See acme_http.h.
 */
#include "gateway/acme/acme_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct acme_http {
    CURL *curl;
    char *ca;
    size_t ca_len;
    long timeout_ms;
    /* the answer being read */
    char *body;
    size_t len, cap;
    bool too_big;
    char nonce[ACME_NONCE_MAX], location[ACME_URL_MAX], retry_after[64];
    bool has_nonce, has_location, has_retry_after;
};

struct acme_http *acme_http_new(const char *ca_pem, size_t ca_len, long timeout_ms, char *err, size_t err_len)
{
    static bool global_done;
    if (!global_done && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, err_len, "libcurl: global init failed");
        return NULL;
    }
    global_done = true;
    struct acme_http *h = calloc(1, sizeof *h);
    if (!h || ca_len == 0 || ca_len > ACME_HTTP_CA_MAX || !(h->ca = malloc(ca_len)) ||
        !(h->body = malloc(ACME_BODY_MAX + 1)) || !(h->curl = curl_easy_init())) {
        snprintf(err, err_len, "libcurl: no memory, or a CA of %zu bytes (at most %d)", ca_len,
                 ACME_HTTP_CA_MAX);
        acme_http_free(h);
        return NULL;
    }
    memcpy(h->ca, ca_pem, ca_len);
    h->ca_len = ca_len;
    h->timeout_ms = timeout_ms > 0 ? timeout_ms : ACME_HTTP_TIMEOUT_MS;
    return h;
}

void acme_http_free(struct acme_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    free(h->ca);
    free(h->body);
    free(h);
}

/* ---- callbacks ----------------------------------------------------------------------------------- */

static size_t http_on_body(char *data, size_t size, size_t n, void *arg)
{
    struct acme_http *h = arg;
    size_t len = size * n;
    if (len > h->cap - h->len) {
        h->too_big = true;
        return 0; /* ends the transfer: CURLE_WRITE_ERROR */
    }
    memcpy(h->body + h->len, data, len);
    h->len += len;
    return len;
}

/* "Name: value\r\n" into out when the name matches; the value trimmed. */
static bool http_header_is(const char *line, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return false;
    const char *v = line + nl + 1;
    size_t vl = len - nl - 1;
    while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ' || v[vl - 1] == '\t'))
        vl--;
    if (vl >= cap)
        return false; /* too long to be a sane one: as if absent */
    memcpy(out, v, vl);
    out[vl] = '\0';
    return true;
}

static size_t http_on_header(char *data, size_t size, size_t n, void *arg)
{
    struct acme_http *h = arg;
    size_t len = size * n;
    if (len > ACME_HTTP_HEADER_MAX)
        return len;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) /* a new response (after a 100): forget the last */
        h->has_nonce = h->has_location = h->has_retry_after = false;
    else if (http_header_is(data, len, "Replay-Nonce", h->nonce, sizeof h->nonce))
        h->has_nonce = true;
    else if (http_header_is(data, len, "Location", h->location, sizeof h->location))
        h->has_location = true;
    else if (http_header_is(data, len, "Retry-After", h->retry_after, sizeof h->retry_after))
        h->has_retry_after = true;
    return len;
}

/* ---- a request ----------------------------------------------------------------------------------- */

static void http_setup(struct acme_http *h, enum acme_req_kind kind, const char *url, const char *body,
                       struct curl_slist *hdrs, char *errbuf)
{
    CURL *c = h->curl;
    curl_easy_reset(c);
    struct curl_blob ca = {.data = h->ca, .len = h->ca_len, .flags = CURL_BLOB_NOCOPY};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
    curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)ACME_HTTP_CONNECT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)ACME_HTTP_LOW_SPEED);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)ACME_HTTP_LOW_SPEED_S);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->cap);
    curl_easy_setopt(c, CURLOPT_USERAGENT, ACME_HTTP_USER_AGENT);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (kind == ACME_REQ_HEAD) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (kind == ACME_REQ_POST) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
}

static enum acme_fail http_fail_of(CURLcode rc, bool too_big)
{
    if (too_big || rc == CURLE_FILESIZE_EXCEEDED)
        return ACME_FAIL_TOO_BIG;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return ACME_FAIL_TIMEOUT;
    if (rc == CURLE_TOO_MANY_REDIRECTS)
        return ACME_FAIL_REDIRECT;
    return ACME_FAIL_NETWORK;
}

void acme_http_do(struct acme_http *h, enum acme_req_kind kind, const char *url, const char *body,
                  size_t body_max, struct acme_resp *resp, char *err, size_t err_len)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    memset(resp, 0, sizeof *resp);
    resp->retry_after_s = -1;
    h->len = 0;
    h->cap = body_max < ACME_BODY_MAX ? body_max : ACME_BODY_MAX;
    h->too_big = h->has_nonce = h->has_location = h->has_retry_after = false;
    struct curl_slist *hdrs = NULL;
    if (kind == ACME_REQ_POST)
        hdrs = curl_slist_append(hdrs, "Content-Type: application/jose+json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    http_setup(h, kind, url, body ? body : "", hdrs, errbuf);
    CURLcode rc = curl_easy_perform(h->curl);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) {
        resp->transport = http_fail_of(rc, h->too_big);
        snprintf(err, err_len, "%s: %s", curl_easy_strerror(rc), errbuf);
        return;
    }
    resp->transport = ACME_FAIL_COUNT;
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
    h->body[h->len] = '\0';
    resp->body = h->body;
    resp->len = h->len;
    resp->nonce = h->has_nonce ? h->nonce : NULL;
    resp->location = h->has_location ? h->location : NULL;
    if (h->has_retry_after)
        resp->retry_after_s = acme_http_retry_after(h->retry_after, (int64_t)time(NULL));
    err[0] = '\0';
}

long acme_http_retry_after(const char *value, int64_t now_s)
{
    size_t n = strlen(value);
    if (n > 0 && n <= 9 && strspn(value, "0123456789") == n)
        return strtol(value, NULL, 10);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end)
        return -1;
    int64_t at = (int64_t)timegm(&tm);
    return at > now_s ? (long)(at - now_s) : 0;
}
