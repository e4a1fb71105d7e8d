/*
 * config_errors: collecting the problems of one config file, each as
 * "FILE:LINE: message", and printing them.
 */
#include "gateway/config/config_internal.h"

#include <stdarg.h>
#include <stdio.h>

void config_error(struct config_loader *ld, unsigned line, const char *fmt, ...)
{
    struct config_errors *e = ld->errors;
    if (e->count < CONFIG_MAX_ERRORS) {
        char *msg = e->msg[e->count];
        int n = line ? snprintf(msg, CONFIG_ERROR_MAX, "%s:%u: ", ld->path, line)
                     : snprintf(msg, CONFIG_ERROR_MAX, "%s: ", ld->path);
        va_list ap;
        va_start(ap, fmt);
        if (n > 0 && n < CONFIG_ERROR_MAX)
            vsnprintf(msg + n, CONFIG_ERROR_MAX - (size_t)n, fmt, ap);
        va_end(ap);
    }
    e->count++;
}

void config_errors_print(const struct config_errors *errors, FILE *fp)
{
    for (unsigned i = 0; i < errors->count && i < CONFIG_MAX_ERRORS; i++)
        fprintf(fp, "%s\n", errors->msg[i]);
    if (errors->count > CONFIG_MAX_ERRORS)
        fprintf(fp, "(%u more problems not shown)\n", errors->count - CONFIG_MAX_ERRORS);
}
