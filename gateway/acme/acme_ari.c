/*
 * acme_ari: renewal information. See acme_ari.h.
 */
#include "gateway/acme/acme_ari.h"

#include "common/b64url.h"
#include "gateway/acme/acme_json.h"

#include <stdio.h>
#include <string.h>

int acme_ari_cert_id(const struct tls_acme_cert_info *info, char out[ACME_ARI_ID_MAX])
{
    if (info->keyid_len == 0 || info->serial_len == 0)
        return -1;
    size_t a = b64url_encode(info->keyid, info->keyid_len, out, ACME_ARI_ID_MAX);
    if (a == 0 || a + 2 > ACME_ARI_ID_MAX)
        return -1;
    out[a] = '.';
    return b64url_encode(info->serial, info->serial_len, out + a + 1, ACME_ARI_ID_MAX - a - 1) ? 0 : -1;
}

static int ari_get(struct acme_http *h, const char *url, struct acme_resp *r, char *why, size_t why_len)
{
    char err[ACME_HTTP_ERR_MAX];
    acme_http_do(h, ACME_REQ_GET, url, NULL, ACME_BODY_MAX, r, err, sizeof err);
    if (r->transport != ACME_FAIL_COUNT)
        return snprintf(why, why_len, "%s: %s (%s)", url, acme_fail_name(r->transport), err), -1;
    if (r->status != 200)
        return snprintf(why, why_len, "%s: HTTP %ld", url, r->status), -1;
    return 0;
}

int acme_ari_fetch(struct acme_http *h, const char *directory, const char *id, struct acme_renewal_info *w,
                   int64_t *recheck_s, char *why, size_t why_len)
{
    struct acme_directory dir;
    struct acme_resp r;
    char reason[ACME_WHY_MAX], url[ACME_URL_MAX + ACME_ARI_ID_MAX + 2];
    if (ari_get(h, directory, &r, why, why_len) < 0)
        return -1;
    if (acme_json_directory(r.body, r.len, directory, &dir, reason) < 0)
        return snprintf(why, why_len, "%s", reason), -1;
    if (!dir.renewal_info[0])
        return 0;
    snprintf(url, sizeof url, "%s%s%s", dir.renewal_info,
             dir.renewal_info[strlen(dir.renewal_info) - 1] == '/' ? "" : "/", id);
    if (ari_get(h, url, &r, why, why_len) < 0)
        return -1;
    if (acme_json_renewal_info(r.body, r.len, w, reason) < 0)
        return snprintf(why, why_len, "%s", reason), -1;
    long ra = r.retry_after_s;
    *recheck_s = ra < ACME_ARI_RETRY_MIN_S   ? ACME_ARI_RETRY_MIN_S
                 : ra > ACME_ARI_RETRY_MAX_S ? ACME_ARI_RETRY_MAX_S
                                             : ra;
    return 1;
}
