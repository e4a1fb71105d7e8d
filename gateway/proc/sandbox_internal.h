/*
 * Internal to the sandbox (sandbox.c, sandbox_seccomp.c, sandbox_acme.c):
 * the error helper, the shared seccomp rules
 * and whether this process is sandboxed (LeakSanitizer's exit check must
 * then be skipped: it needs ptrace).
 */
#ifndef RAMPART_GATEWAY_PROC_SANDBOX_INTERNAL_H
#define RAMPART_GATEWAY_PROC_SANDBOX_INTERNAL_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "what: strerror(e)" into err; returns -1. */
int sandbox_fail(char *err, size_t err_len, const char *what, int e);

extern bool sandbox_active;

/* Adds one rule of `action` for each of the n system calls; 0 or not. */
int sandbox_seccomp_add(scmp_filter_ctx ctx, uint32_t action, const int *calls, size_t n);
/* Kills the process on the calls no sandboxed child makes (exec, fork,
 * ptrace, namespaces, mounts, modules, privileges, signals to others):
 * the relay's list, shared by every child's filter. */
int sandbox_seccomp_kill_escapes(scmp_filter_ctx ctx);

#endif /* RAMPART_GATEWAY_PROC_SANDBOX_INTERNAL_H */
