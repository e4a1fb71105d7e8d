/*
 * config_validate_peer: the rules of [peer] across keys, and the files it
 * and [tls] ticket_key_file name (read here with the checks tls/ applies
 * to secrets, so a bad key is a FILE:LINE message at `rampart -t` and at a
 * reload, never a surprise at start).
 */
#include "gateway/config/config_internal.h"

#include "tls/tls_peer.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static bool same_ip(const struct ip_addr *a, const struct ip_addr *b)
{
    return a->family == b->family && memcmp(&a->u, &b->u, a->family == AF_INET ? 4 : 16) == 0;
}

static void validate_peer_auth(struct config_loader *ld, const struct config_peer *p)
{
    char err[CONFIG_ERROR_MAX - 64];
    bool psk = p->psk_file[0], cert = p->cert_file[0];
    if (psk == cert) {
        config_error(ld, p->line,
                     "[peer] needs one of 'psk_file' (a pre-shared key) or 'certificate' + 'ca'%s",
                     psk ? ", not both" : "");
        return;
    }
    if (psk) {
        uint8_t text[TLS_PEER_PSK_FILE_MAX], key[TLS_PEER_PSK_MAX];
        size_t n = 0, len = 0;
        if (tls_secret_file_read(p->psk_file, text, sizeof text, &n, err, sizeof err) < 0)
            config_error(ld, ld->peer_psk_line, "[peer] psk_file %s", err);
        else if (tls_peer_psk_parse((const char *)text, n, key, &len, err, sizeof err) < 0)
            config_error(ld, ld->peer_psk_line, "[peer] psk_file '%s': %s", p->psk_file, err);
        explicit_bzero(text, sizeof text);
        explicit_bzero(key, sizeof key);
        return;
    }
    if (!p->ca_file[0])
        config_error(ld, ld->peer_cert_line, "[peer] 'certificate' needs 'ca' (the pair's own CA)");
    else if (access(p->ca_file, R_OK) < 0)
        config_error(ld, p->line, "[peer] ca '%s': %s", p->ca_file, strerror(errno));
    if (access(p->cert_file, R_OK) < 0)
        config_error(ld, ld->peer_cert_line, "[peer] certificate '%s': %s", p->cert_file, strerror(errno));
    /* the checks on the file here; the key is parsed when the channel is built (rampart -t too) */
    if (tls_secret_file_check(p->key_file, err, sizeof err) < 0)
        config_error(ld, ld->peer_cert_line, "[peer] key file %s", err);
}

static void validate_ticket_files(struct config_loader *ld)
{
    const struct tls_config *t = &ld->cfg->tls.server;
    struct tls_ticket_key k[TLS_TICKET_KEY_FILES_MAX];
    char err[CONFIG_ERROR_MAX - 64];
    for (unsigned i = 0; i < t->n_ticket_key_files; i++)
        if (tls_ticket_key_file_read(t->ticket_key_files[i], &k[i], err, sizeof err) < 0)
            config_error(ld, ld->ticket_key_line[i], "[tls] ticket_key_file %s", err);
    if (t->n_ticket_key_files == 2 && memcmp(k[0].name, k[1].name, sizeof k[0].name) == 0)
        config_error(ld, ld->ticket_key_line[1], "[tls] ticket_key_file '%s' is the same key as '%s'",
                     t->ticket_key_files[1], t->ticket_key_files[0]);
    explicit_bzero(k, sizeof k);
}

void config_validate_peer(struct config_loader *ld)
{
    validate_ticket_files(ld);
    const struct config_peer *p = &ld->cfg->peer;
    if (!p->enabled) {
        if (ld->seen_peer)
            config_error(ld, 0, "[peer] has no 'address' (the other gateway's): the section does nothing");
        return;
    }
    if (!p->listen.family)
        config_error(ld, p->line, "[peer] needs 'listen' (this gateway's own address on the same link)");
    else if (p->listen.family != p->address.family)
        config_error(ld, p->line, "[peer] address and listen must be of the same family");
    else if (same_ip(&p->listen, &p->address))
        config_error(ld, p->line, "[peer] address and listen are the same: address is the other gateway's");
    if (p->dead_after_ms <= p->keepalive_ms)
        config_error(ld, p->line, "[peer] dead_after (%llums) must be longer than keepalive (%llums)",
                     (unsigned long long)p->dead_after_ms, (unsigned long long)p->keepalive_ms);
    validate_peer_auth(ld, p);
}
