/*
 * Internal to the sandbox (sandbox.c, sandbox_seccomp.c): the error helper
 * and whether this process is sandboxed (LeakSanitizer's exit check must
 * then be skipped: it needs ptrace).
 */
#ifndef RAMPART_GATEWAY_PROC_SANDBOX_INTERNAL_H
#define RAMPART_GATEWAY_PROC_SANDBOX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* "what: strerror(e)" into err; returns -1. */
int sandbox_fail(char *err, size_t err_len, const char *what, int e);

extern bool sandbox_active;

#endif /* RAMPART_GATEWAY_PROC_SANDBOX_INTERNAL_H */
