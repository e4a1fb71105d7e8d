/*
 * version: prints the program's version and the library versions its
 * caller passes in.
 */
#include "common/version.h"

void version_print(FILE *fp, const char *program, const char *const *libraries)
{
    fprintf(fp, "%s %s\n", program, RAMPART_VERSION);
    for (; libraries && *libraries; libraries++)
        fprintf(fp, "  %s (static)\n", *libraries);
}
