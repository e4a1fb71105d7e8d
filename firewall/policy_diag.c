/*
 * Diagnostics for policy files: "FILE:LINE: message", in the order found.
 * Only the first POLICY_MAX_DIAGS are kept, but every one is counted, so a
 * file with a thousand errors still reports the right total.
 */
#include "firewall/policy.h"

#include <stdarg.h>
#include <string.h>

__attribute__((format(printf, 5, 0))) static void diag_add(struct policy_diags *d, const char *file, int line,
                                                           const char *kind, const char *fmt, va_list ap)
{
    if (d->n >= POLICY_MAX_DIAGS)
        return;
    char *out = d->msg[d->n++];
    /* line 0: about the file as a whole (it cannot be opened) */
    int used = line > 0 ? snprintf(out, POLICY_DIAG_MAX, "%s:%d: %s", file, line, kind)
                        : snprintf(out, POLICY_DIAG_MAX, "%s: %s", file, kind);
    if (used < 0 || used >= POLICY_DIAG_MAX)
        return;
    vsnprintf(out + used, POLICY_DIAG_MAX - (size_t)used, fmt, ap);
}

void policy_error(struct policy_diags *d, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    d->errors++;
    diag_add(d, file, line, "", fmt, ap);
    va_end(ap);
}

void policy_warning(struct policy_diags *d, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    d->warnings++;
    diag_add(d, file, line, "warning: ", fmt, ap);
    va_end(ap);
}

void policy_diags_print(const struct policy_diags *d, FILE *fp)
{
    for (unsigned i = 0; i < d->n; i++)
        fprintf(fp, "%s\n", d->msg[i]);
    unsigned total = d->errors + d->warnings;
    if (total > d->n)
        fprintf(fp, "(%u more not shown)\n", total - d->n);
}

const char *policy_dir_name(enum policy_dir dir)
{
    static const char *const names[POLICY_DIR_COUNT] = {"input", "forward", "output"};
    return dir < POLICY_DIR_COUNT ? names[dir] : "?";
}

const char *policy_verdict_name(enum policy_verdict v)
{
    switch (v) {
    case POLICY_ACCEPT: return "accept";
    case POLICY_DROP: return "drop";
    case POLICY_REJECT: return "reject";
    }
    return "?";
}
