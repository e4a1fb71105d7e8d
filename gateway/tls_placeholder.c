/*
 * PLACEHOLDER until tls/ implements the server side of tls/tls.h: the lead
 * deletes this file then. Weak definitions, so the real ones win if both
 * are linked.
 */
#include "tls/tls.h"

#include <stdio.h>

static int placeholder_server;

__attribute__((weak)) int tls_global_init(void) { return 0; }

__attribute__((weak)) struct tls_server *tls_server_new(const struct config_tls *cfg, char *err,
                                                        size_t err_len)
{
    (void)cfg, (void)err, (void)err_len;
    return (struct tls_server *)&placeholder_server;
}

__attribute__((weak)) void tls_server_ref(struct tls_server *srv) { (void)srv; }
__attribute__((weak)) void tls_server_unref(struct tls_server *srv) { (void)srv; }
