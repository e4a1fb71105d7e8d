/*
 * tls_secret.c: secret files (the peer channel's PSK, session-ticket key
 * files), read with the same checks as private keys, and nginx's
 * ssl_session_ticket_key format. See tls_peer.h and tls.h.
 */
#include "tls/tls_internal.h"
#include "tls/tls_peer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file itself (a symbolic link can be repointed by whoever owns its
 * directory), regular, owned by root or by whoever runs rampart, closed to
 * group and others; judged by fstat on the descriptor that is read. */
static int secret_open(const char *path, struct stat *st, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP)
            snprintf(err, err_len, "%s: a symbolic link: name the file itself", path);
        else
            snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    const char *why = NULL;
    if (fstat(fd, st) < 0)
        why = strerror(errno);
    else if (!S_ISREG(st->st_mode))
        why = "not a regular file";
    else if (st->st_uid != 0 && st->st_uid != geteuid())
        why = "owned by another user: it must belong to root or to who runs rampart";
    else if (st->st_mode & (S_IRWXG | S_IRWXO))
        why = "accessible by group or others: chmod 600 it";
    if (why) {
        snprintf(err, err_len, "%s: %s", path, why);
        close(fd);
        return -1;
    }
    return fd;
}

int tls_secret_file_check(const char *path, char *err, size_t err_len)
{
    struct stat st;
    int fd = secret_open(path, &st, err, err_len);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int tls_secret_file_read(const char *path, uint8_t *buf, size_t cap, size_t *len, char *err, size_t err_len)
{
    struct stat st;
    int fd = secret_open(path, &st, err, err_len);
    if (fd < 0)
        return -1;
    int rc = -1;
    if ((uint64_t)st.st_size > cap) {
        snprintf(err, err_len, "%s: %lld bytes, more than the %zu expected", path, (long long)st.st_size,
                 cap);
    } else {
        ssize_t n = read(fd, buf, cap);
        if (n < 0)
            snprintf(err, err_len, "%s: %s", path, strerror(errno));
        else
            *len = (size_t)n, rc = 0;
    }
    close(fd);
    return rc;
}

/* ---- nginx's session ticket key files ------------------------------------------------------ */

/* nginx reads 80 bytes as name[16], HMAC key[32], AES key[32] (and 48 as
 * name[16], AES key[16], HMAC key[16]), for AES-CBC + HMAC-SHA256
 * tickets. mbedTLS seals tickets with AES-256-GCM under a 4-byte name:
 * the AES key is the GCM key, the name the first 4 bytes of SHA-256 over
 * nginx's 16-byte name (keys named by date, "2026-12-01:00:00", would
 * share their first 4 bytes). The HMAC key has no use in GCM, whose tag
 * authenticates. Tickets are not interchangeable with nginx's; the file
 * format is, so the same files and rotation scripts serve both. */
int tls_ticket_key_from_nginx(const uint8_t *buf, size_t len, struct tls_ticket_key *out, char *err,
                              size_t err_len)
{
    if (len == TLS_TICKET_FILE_LEN_AES128) {
        snprintf(err, err_len,
                 "48 bytes (an AES-128 key): tickets here use AES-256, make an 80-byte key "
                 "(openssl rand 80 > FILE)");
        return -1;
    }
    if (len != TLS_TICKET_FILE_LEN) {
        snprintf(err, err_len, "%zu bytes: nginx's ticket key format is 80 bytes (openssl rand 80 > FILE)",
                 len);
        return -1;
    }
    uint8_t digest[32];
    size_t dlen = 0;
    if (psa_crypto_init() != PSA_SUCCESS || psa_hash_compute(PSA_ALG_SHA_256, buf, TLS_TICKET_FILE_NAME_LEN,
                                                             digest, sizeof digest, &dlen) != PSA_SUCCESS) {
        snprintf(err, err_len, "SHA-256 failed");
        return -1;
    }
    memcpy(out->name, digest, TLS_TICKET_NAME_LEN);
    memcpy(out->key, buf + TLS_TICKET_FILE_NAME_LEN + TLS_TICKET_FILE_HMAC_LEN, TLS_TICKET_KEY_LEN);
    return 0;
}

int tls_ticket_key_file_read(const char *path, struct tls_ticket_key *out, char *err, size_t err_len)
{
    uint8_t buf[TLS_TICKET_FILE_LEN + 1];
    size_t len = 0;
    char why[160];
    if (tls_secret_file_read(path, buf, sizeof buf, &len, err, err_len) < 0)
        return -1;
    int rc = tls_ticket_key_from_nginx(buf, len, out, why, sizeof why);
    if (rc < 0)
        snprintf(err, err_len, "%s: %s", path, why);
    explicit_bzero(buf, sizeof buf);
    return rc;
}
