#include "common/version.h"

#include "tls/tls.h"

#include <llhttp.h>

void version_print(FILE *fp, const char *program)
{
    fprintf(fp, "%s %s\n", program, RAMPART_VERSION);
    fprintf(fp, "  %s (static)\n", tls_library_version());
    fprintf(fp, "  llhttp %d.%d.%d (static)\n", LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR,
            LLHTTP_VERSION_PATCH);
}
