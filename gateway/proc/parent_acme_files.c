/*
 * parent_acme_files: the files the parent writes for ACME: the state
 * directory, placeholders, issued certificates. See parent_acme.h.
 */
#include "gateway/proc/parent_acme.h"

#include "common/log.h"
#include "tls/tls_acme.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* path written whole: a temporary file beside it, fsync, rename. */
static int files_write(const char *path, const void *data, size_t len, mode_t mode)
{
    char tmp[CONFIG_PATH_MAX + 16];
    if (snprintf(tmp, sizeof tmp, "%s.acme-tmp", path) >= (int)sizeof tmp)
        return errno = ENAMETOOLONG, -1;
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return -1;
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w <= 0 && errno != EINTR)
            break;
        if (w > 0)
            p += w, left -= (size_t)w;
    }
    int rc = left == 0 && fchmod(fd, mode) == 0 && fsync(fd) == 0 ? 0 : -1;
    int e = errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) == 0)
        return 0;
    e = rc == 0 ? errno : e;
    unlink(tmp);
    return errno = e, -1;
}

static int files_state_dir(const struct config_acme *a, bool root, char *err, size_t err_len)
{
    struct stat st;
    if (mkdir(a->state_dir, 0700) < 0 && errno != EEXIST)
        return snprintf(err, err_len, "[tls] acme_state_dir '%s': %s", a->state_dir, strerror(errno)), -1;
    const struct passwd *pw = root ? getpwnam(a->user) : NULL;
    if (root && !pw)
        return snprintf(err, err_len, "[tls] acme_user '%s' does not exist", a->user), -1;
    if (lstat(a->state_dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return snprintf(err, err_len, "[tls] acme_state_dir '%s' is not a directory", a->state_dir), -1;
    /* at start (full root); a reload finds it done, without CAP_CHOWN */
    bool owned = !pw || (st.st_uid == pw->pw_uid && st.st_gid == pw->pw_gid);
    if ((!owned && chown(a->state_dir, pw->pw_uid, pw->pw_gid) < 0) ||
        ((st.st_mode & 0777) != 0700 && chmod(a->state_dir, 0700) < 0))
        return snprintf(err, err_len, "[tls] acme_state_dir '%s': %s (owned by the ACME user, mode 0700)",
                        a->state_dir, strerror(errno)),
               -1;
    return 0;
}

/* A self-signed certificate for c's name until ACME brings one. */
static int files_placeholder(const struct config *cfg, const struct tls_cert_config *c, char *err,
                             size_t err_len)
{
    static uint8_t pem[TLS_ACME_CERT_PEM_MAX];
    char key[TLS_ACME_KEY_PEM_MAX];
    struct tls_acme_key *k = NULL;
    const char *names[] = {c->server_name};
    int64_t now = (int64_t)time(NULL);
    size_t len = 0, kl;
    if (tls_acme_key_generate((enum tls_acme_key_type)cfg->tls.acme.key_type, &k, err, err_len) < 0)
        return -1;
    int rc = tls_acme_self_signed(k, names, 1, now - 3600, now + PARENT_ACME_PLACEHOLDER_S, NULL, true, pem,
                                  sizeof pem, &len, err, err_len);
    kl = rc == 0 ? tls_acme_key_pem(k, key, sizeof key) : 0;
    tls_acme_key_free(k);
    if (rc == 0 && (kl == 0 || files_write(c->key_file, key, kl, 0600) < 0 ||
                    files_write(c->cert_file, pem, len, 0644) < 0)) {
        snprintf(err, err_len, "placeholder for '%s' (%s): %s", c->server_name, c->cert_file,
                 strerror(errno));
        rc = -1;
    }
    explicit_bzero(key, sizeof key);
    if (rc == 0)
        log_event(LOG_LEVEL_WARN, "acme_placeholder_written", "name", c->server_name, "file", c->cert_file,
                  "effect", "a self-signed certificate serves until ACME issues one", LOG_END);
    return rc;
}

int parent_acme_prepare(const struct config *cfg, bool root, char *err, size_t err_len)
{
    if (!cfg->tls.acme.enabled)
        return 0;
    if (files_state_dir(&cfg->tls.acme, root, err, err_len) < 0)
        return -1;
    for (unsigned i = 0; i < cfg->tls.server.n_certs; i++)
        if (config_acme_may_create(cfg, i) &&
            files_placeholder(cfg, &cfg->tls.server.certs[i], err, err_len) < 0)
            return -1;
    return 0;
}

/* Whether path holds exactly data[0..len). */
static bool files_same(const char *path, const char *data, size_t len)
{
    static char buf[TLS_ACME_CERT_PEM_MAX + 1];
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n == len && memcmp(buf, data, len) == 0;
}

int parent_acme_install(const struct config *cfg, const struct acme_cert_msg *m, const char **why, char *err,
                        size_t err_len)
{
    err[0] = '\0';
    if (acme_msg_cert_check(m, why) < 0)
        return -1;
    const struct tls_cert_config *c = &cfg->tls.server.certs[m->index];
    if (m->index >= cfg->tls.server.n_certs || strcasecmp(c->server_name, m->name) != 0)
        return *why = "not a certificate of [tls]", -1;
    if (m->key_type != (uint32_t)cfg->tls.acme.key_type)
        return *why = "a key of another type than acme_key_type", -1;
    const char *names[] = {c->server_name};
    struct tls_acme_cert_info info;
    if (tls_acme_cert_check(m->chain, m->chain_len, m->key, m->key_len, (enum tls_acme_key_type)m->key_type,
                            names, 1, NULL, (int64_t)time(NULL), &info, err, err_len) < 0)
        return *why = "the certificate does not pass its checks", -1;
    if (files_same(c->cert_file, m->chain, m->chain_len))
        return 0;
    if (files_write(c->key_file, m->key, m->key_len, 0600) < 0 ||
        files_write(c->cert_file, m->chain, m->chain_len, 0644) < 0) {
        snprintf(err, err_len, "%s: %s", c->cert_file, strerror(errno));
        return *why = "writing the files failed", -1;
    }
    return 1;
}
