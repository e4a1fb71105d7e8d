/*
 * acme_json: reading and writing ACME's JSON. See acme_json.h.
 */
#include "gateway/acme/acme_json.h"

#include "common/b64url.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define WHYF(...) snprintf(why, ACME_WHY_MAX, __VA_ARGS__)

/* ---- names ---------------------------------------------------------------------------------------- */

const char *acme_status_name(enum acme_status s)
{
    static const char *const names[] = {"unknown", "pending",     "ready",   "processing", "valid",
                                        "invalid", "deactivated", "expired", "revoked"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const char *acme_challenge_type_name(enum acme_challenge_type t)
{
    return t == ACME_CHAL_HTTP01 ? "http-01" : t == ACME_CHAL_TLSALPN01 ? "tls-alpn-01" : "other";
}

const char *acme_fail_name(enum acme_fail f)
{
    static const char *const names[ACME_FAIL_COUNT] = {
        [ACME_FAIL_NETWORK] = "network",
        [ACME_FAIL_TIMEOUT] = "timeout",
        [ACME_FAIL_STATUS] = "status",
        [ACME_FAIL_PROTOCOL] = "protocol",
        [ACME_FAIL_TOO_BIG] = "too_big",
        [ACME_FAIL_REDIRECT] = "redirect",
        [ACME_FAIL_PROBLEM] = "problem",
        [ACME_FAIL_BAD_NONCE] = "bad_nonce",
        [ACME_FAIL_RATE_LIMITED] = "rate_limited",
        [ACME_FAIL_VALIDATION] = "validation",
        [ACME_FAIL_NO_CHALLENGE] = "no_challenge",
        [ACME_FAIL_REFUSED] = "refused",
        [ACME_FAIL_INTERNAL] = "internal",
    };
    return (unsigned)f < ACME_FAIL_COUNT ? names[f] : "unknown";
}

static enum acme_status status_of(const char *s)
{
    for (int i = ACME_ST_PENDING; i <= ACME_ST_REVOKED; i++)
        if (strcmp(s, acme_status_name((enum acme_status)i)) == 0)
            return (enum acme_status)i;
    return ACME_ST_UNKNOWN;
}

/* ---- URLs ------------------------------------------------------------------------------------------ */

bool acme_url_ok(const char *url)
{
    size_t n = strnlen(url, ACME_URL_MAX);
    if (n == ACME_URL_MAX || strncmp(url, "https://", 8) != 0 || n == 8)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f)
            return false;
    return true;
}

/* "https://host:port" of url: the length of that prefix. */
static size_t origin_len(const char *url)
{
    const char *rest = url + 8;
    size_t n = strcspn(rest, "/?#");
    return 8 + n;
}

bool acme_same_origin(const char *directory, const char *url)
{
    if (!acme_url_ok(url) || !acme_url_ok(directory))
        return false;
    size_t a = origin_len(directory), b = origin_len(url);
    return a == b && strncasecmp(directory, url, a) == 0;
}

/* ---- reading -------------------------------------------------------------------------------------- */

/* Nesting of [ and { outside strings; jansson recurses per level. */
static bool depth_ok(const char *p, size_t len)
{
    unsigned depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > ACME_JSON_DEPTH)
                return false;
        } else if ((c == '}' || c == ']') && depth) {
            depth--;
        }
    }
    return true;
}

static json_t *load(const char *body, size_t len, const char *what, char *why)
{
    if (len > ACME_BODY_MAX || !depth_ok(body, len)) {
        WHYF("%s: longer than %d bytes or nested deeper than %d", what, ACME_BODY_MAX, ACME_JSON_DEPTH);
        return NULL;
    }
    json_error_t e;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (!root) {
        WHYF("%s: not JSON (%.60s at %d)", what, e.text, e.position);
        return NULL;
    }
    if (!json_is_object(root)) {
        WHYF("%s: not a JSON object", what);
        json_decref(root);
        return NULL;
    }
    return root;
}

/* A string member into out[cap]: 0, 1 when absent and optional, -1 else. */
static int get_str(const json_t *o, const char *key, char *out, size_t cap, bool required, const char *what,
                   char *why)
{
    const json_t *v = json_object_get(o, key);
    if (!v && !required) {
        out[0] = '\0';
        return 1;
    }
    if (!json_is_string(v)) {
        WHYF("%s: '%s' %s", what, key, v ? "is not a string" : "is missing");
        return -1;
    }
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n >= cap || memchr(s, '\0', n)) {
        WHYF("%s: '%s' longer than %zu bytes or holds a NUL", what, key, cap - 1);
        return -1;
    }
    memcpy(out, s, n + 1);
    return 0;
}

static int get_url(const json_t *o, const char *key, const char *dir, char *out, bool required,
                   const char *what, char *why)
{
    int rc = get_str(o, key, out, ACME_URL_MAX, required, what, why);
    if (rc != 0)
        return rc;
    if (!acme_same_origin(dir, out)) {
        WHYF("%s: '%s' is not a URL of the server", what, key);
        return -1;
    }
    return 0;
}

static int get_status(const json_t *o, enum acme_status *out, const char *what, char *why)
{
    char s[32];
    if (get_str(o, "status", s, sizeof s, true, what, why) < 0)
        return -1;
    if ((*out = status_of(s)) == ACME_ST_UNKNOWN) {
        WHYF("%s: status '%s' is not one ACME defines", what, s);
        return -1;
    }
    return 0;
}

/* An "error" member (a problem document) of an order or a challenge, kept
 * for the log; a malformed one is no reason to refuse the rest. */
static void get_error(const json_t *o, char *type, char *detail)
{
    char why[ACME_WHY_MAX];
    type[0] = detail[0] = '\0';
    const json_t *e = json_object_get(o, "error");
    if (!json_is_object(e))
        return;
    if (get_str(e, "type", type, ACME_TYPE_MAX, true, "error", why) < 0)
        type[0] = '\0';
    const json_t *d = json_object_get(e, "detail");
    if (json_is_string(d))
        snprintf(detail, ACME_DETAIL_MAX, "%s", json_string_value(d));
}

static int directory_fill(const json_t *o, const char *dir, struct acme_directory *out, char *why)
{
    if (get_url(o, "newNonce", dir, out->new_nonce, true, "directory", why) < 0 ||
        get_url(o, "newAccount", dir, out->new_account, true, "directory", why) < 0 ||
        get_url(o, "newOrder", dir, out->new_order, true, "directory", why) < 0 ||
        get_url(o, "renewalInfo", dir, out->renewal_info, false, "directory", why) < 0)
        return -1;
    const json_t *meta = json_object_get(o, "meta");
    out->external_account_required =
        json_is_object(meta) && json_is_true(json_object_get(meta, "externalAccountRequired"));
    return 0;
}

int acme_json_directory(const char *body, size_t len, const char *dir_url, struct acme_directory *out,
                        char *why)
{
    memset(out, 0, sizeof *out);
    json_t *o = load(body, len, "directory", why);
    if (!o)
        return -1;
    int rc = directory_fill(o, dir_url, out, why);
    json_decref(o);
    return rc;
}

static int order_authz(const json_t *o, const char *dir, struct acme_order_obj *out, char *why)
{
    const json_t *a = json_object_get(o, "authorizations");
    if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > ACME_AUTHZ_MAX) {
        WHYF("order: 'authorizations' is not an array of 1-%d URLs", ACME_AUTHZ_MAX);
        return -1;
    }
    out->n_authz = (unsigned)json_array_size(a);
    for (unsigned i = 0; i < out->n_authz; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_string(v) || json_string_length(v) >= ACME_URL_MAX ||
            !acme_same_origin(dir, json_string_value(v))) {
            WHYF("order: authorization %u is not a URL of the server", i);
            return -1;
        }
        snprintf(out->authz[i], ACME_URL_MAX, "%s", json_string_value(v));
    }
    return 0;
}

static int order_fill(const json_t *o, const char *dir, struct acme_order_obj *out, char *why)
{
    if (get_status(o, &out->status, "order", why) < 0 || order_authz(o, dir, out, why) < 0 ||
        get_url(o, "finalize", dir, out->finalize, true, "order", why) < 0 ||
        get_url(o, "certificate", dir, out->certificate, false, "order", why) < 0)
        return -1;
    if (out->status == ACME_ST_VALID && !out->certificate[0]) {
        WHYF("order: valid, without 'certificate'");
        return -1;
    }
    get_error(o, out->error_type, out->error_detail);
    return 0;
}

int acme_json_order(const char *body, size_t len, const char *dir_url, struct acme_order_obj *out, char *why)
{
    memset(out, 0, sizeof *out);
    json_t *o = load(body, len, "order", why);
    if (!o)
        return -1;
    int rc = order_fill(o, dir_url, out, why);
    json_decref(o);
    return rc;
}

static enum acme_challenge_type chal_type_of(const char *s)
{
    if (strcmp(s, "http-01") == 0)
        return ACME_CHAL_HTTP01;
    return strcmp(s, "tls-alpn-01") == 0 ? ACME_CHAL_TLSALPN01 : ACME_CHAL_OTHER;
}

/* One challenge. Types Rampart does not answer (dns-01, ...) only need a
 * type: their other fields are not read. */
static int chal_fill(const json_t *o, const char *dir, struct acme_challenge_obj *c, char *why)
{
    char type[32];
    memset(c, 0, sizeof *c);
    if (get_str(o, "type", type, sizeof type, true, "challenge", why) < 0)
        return -1;
    if ((c->type = chal_type_of(type)) == ACME_CHAL_OTHER)
        return 0;
    if (get_status(o, &c->status, "challenge", why) < 0 ||
        get_url(o, "url", dir, c->url, true, "challenge", why) < 0 ||
        get_str(o, "token", c->token, sizeof c->token, true, "challenge", why) < 0)
        return -1;
    size_t n = strlen(c->token);
    if (n < ACME_TOKEN_MIN || !b64url_is_text(c->token, n)) {
        WHYF("challenge: the token is not %d or more base64url characters", ACME_TOKEN_MIN);
        return -1;
    }
    get_error(o, c->error_type, c->error_detail);
    return 0;
}

static int authz_identifier(const json_t *o, struct acme_authz_obj *out, char *why)
{
    const json_t *id = json_object_get(o, "identifier");
    char type[16];
    if (!json_is_object(id)) {
        WHYF("authorization: 'identifier' is missing");
        return -1;
    }
    if (get_str(id, "type", type, sizeof type, true, "identifier", why) < 0 ||
        get_str(id, "value", out->identifier, sizeof out->identifier, true, "identifier", why) < 0)
        return -1;
    if (strcmp(type, "dns") != 0) {
        WHYF("authorization: identifier type '%s' is not dns", type);
        return -1;
    }
    out->wildcard = json_is_true(json_object_get(o, "wildcard"));
    return 0;
}

static int authz_fill(const json_t *o, const char *dir, struct acme_authz_obj *out, char *why)
{
    if (get_status(o, &out->status, "authorization", why) < 0 || authz_identifier(o, out, why) < 0)
        return -1;
    const json_t *a = json_object_get(o, "challenges");
    if (!json_is_array(a) || json_array_size(a) > ACME_CHALLENGES_MAX) {
        WHYF("authorization: 'challenges' is not an array of at most %d", ACME_CHALLENGES_MAX);
        return -1;
    }
    out->n_challenges = (unsigned)json_array_size(a);
    for (unsigned i = 0; i < out->n_challenges; i++) {
        const json_t *c = json_array_get(a, i);
        if (!json_is_object(c)) {
            WHYF("authorization: challenge %u is not an object", i);
            return -1;
        }
        if (chal_fill(c, dir, &out->challenges[i], why) < 0)
            return -1;
    }
    return 0;
}

int acme_json_authz(const char *body, size_t len, const char *dir_url, struct acme_authz_obj *out, char *why)
{
    memset(out, 0, sizeof *out);
    json_t *o = load(body, len, "authorization", why);
    if (!o)
        return -1;
    int rc = authz_fill(o, dir_url, out, why);
    json_decref(o);
    return rc;
}

int acme_json_challenge(const char *body, size_t len, const char *dir_url, struct acme_challenge_obj *out,
                        char *why)
{
    json_t *o = load(body, len, "challenge", why);
    if (!o) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    int rc = chal_fill(o, dir_url, out, why);
    json_decref(o);
    return rc;
}

int acme_json_account(const char *body, size_t len, enum acme_status *out, char *why)
{
    json_t *o = load(body, len, "account", why);
    if (!o)
        return -1;
    int rc = get_status(o, out, "account", why);
    json_decref(o);
    return rc;
}

int acme_json_problem(const char *body, size_t len, struct acme_problem *out)
{
    char why[ACME_WHY_MAX];
    memset(out, 0, sizeof *out);
    json_t *o = load(body, len, "problem", why);
    if (!o)
        return -1;
    int rc = get_str(o, "type", out->type, sizeof out->type, true, "problem", why);
    const json_t *d = json_object_get(o, "detail");
    if (rc == 0 && json_is_string(d))
        snprintf(out->detail, sizeof out->detail, "%s", json_string_value(d));
    json_decref(o);
    return rc;
}

static int window_fill(const json_t *o, struct acme_renewal_info *out, char *why)
{
    const json_t *w = json_object_get(o, "suggestedWindow");
    char start[48], end[48];
    if (!json_is_object(w)) {
        WHYF("renewalInfo: 'suggestedWindow' is missing");
        return -1;
    }
    if (get_str(w, "start", start, sizeof start, true, "suggestedWindow", why) < 0 ||
        get_str(w, "end", end, sizeof end, true, "suggestedWindow", why) < 0)
        return -1;
    if (acme_time_parse(start, &out->start_s) < 0 || acme_time_parse(end, &out->end_s) < 0 ||
        out->end_s < out->start_s) {
        WHYF("renewalInfo: the window is not two RFC 3339 times, start first");
        return -1;
    }
    return 0;
}

int acme_json_renewal_info(const char *body, size_t len, struct acme_renewal_info *out, char *why)
{
    memset(out, 0, sizeof *out);
    json_t *o = load(body, len, "renewalInfo", why);
    if (!o)
        return -1;
    int rc = window_fill(o, out, why);
    json_decref(o);
    return rc;
}

/* ---- times ---------------------------------------------------------------------------------------- */

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* After the seconds: an optional fraction, then Z or +hh:mm / -hh:mm. */
static int zone_offset(const char *p, int64_t *off)
{
    if (*p == '.') {
        p++;
        int n = 0;
        while (p[n] >= '0' && p[n] <= '9')
            n++;
        if (n == 0 || n > 9)
            return -1;
        p += n;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        *off = 0;
        return 0;
    }
    if ((*p != '+' && *p != '-') || p[3] != ':' || p[6] != '\0')
        return -1;
    int h = digits(p + 1, 2), m = digits(p + 4, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59)
        return -1;
    *off = (*p == '-' ? -1 : 1) * ((int64_t)h * 3600 + m * 60);
    return 0;
}

int acme_time_parse(const char *s, int64_t *out)
{
    if (strnlen(s, 40) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return -1;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
    int64_t off;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 ||
        se > 60 || zone_offset(s + 19, &off) < 0)
        return -1;
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = se};
    *out = (int64_t)timegm(&tm) - off;
    return 0;
}

/* ---- payloads ------------------------------------------------------------------------------------- */

static size_t dump(json_t *o, char *buf, size_t cap)
{
    if (!o)
        return 0;
    size_t n = json_dumpb(o, buf, cap, JSON_COMPACT);
    json_decref(o);
    if (n == 0 || n >= cap)
        return 0;
    buf[n] = '\0';
    return n;
}

size_t acme_json_new_account(const char *contact, bool only_existing, char *buf, size_t cap)
{
    json_t *o = json_object();
    if (!o)
        return 0;
    json_object_set_new(o, "termsOfServiceAgreed", json_true());
    if (contact && contact[0]) {
        if (strlen(contact) >= ACME_CONTACT_MAX) {
            json_decref(o);
            return 0;
        }
        json_t *a = json_array();
        json_array_append_new(a, json_string(contact));
        json_object_set_new(o, "contact", a);
    }
    if (only_existing)
        json_object_set_new(o, "onlyReturnExisting", json_true());
    return dump(o, buf, cap);
}

size_t acme_json_new_order(const char *const *names, unsigned n, const char *replaces, char *buf, size_t cap)
{
    if (n < 1 || n > ACME_AUTHZ_MAX)
        return 0;
    json_t *o = json_object(), *ids = json_array();
    for (unsigned i = 0; i < n; i++) {
        json_t *id = json_object();
        json_object_set_new(id, "type", json_string("dns"));
        json_object_set_new(id, "value", json_string(names[i]));
        json_array_append_new(ids, id);
    }
    json_object_set_new(o, "identifiers", ids);
    if (replaces && replaces[0])
        json_object_set_new(o, "replaces", json_string(replaces));
    return dump(o, buf, cap);
}

size_t acme_json_finalize(const char *csr_b64url, char *buf, size_t cap)
{
    json_t *o = json_object();
    json_object_set_new(o, "csr", json_string(csr_b64url));
    return dump(o, buf, cap);
}
