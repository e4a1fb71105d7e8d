#include "gateway/config.h"

#include <stdlib.h>
#include <string.h>

void config_defaults(struct config *out) { memset(out, 0, sizeof *out); }

struct config *config_load(const char *path, struct config_errors *errors)
{
    errors->count = 1;
    snprintf(errors->msg[0], CONFIG_ERROR_MAX, "%s: config reader not written yet", path);
    return NULL;
}

void config_free(struct config *cfg) { free(cfg); }

void config_errors_print(const struct config_errors *errors, FILE *fp)
{
    for (unsigned i = 0; i < errors->count && i < CONFIG_MAX_ERRORS; i++)
        fprintf(fp, "%s\n", errors->msg[i]);
}
