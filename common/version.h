/*
 * version: the `--version` text of both programs. The caller names the
 * libraries it carries (common/ knows none of them), one line each.
 */
#ifndef RAMPART_COMMON_VERSION_H
#define RAMPART_COMMON_VERSION_H

#include <stdio.h>

/* Prints "PROGRAM VERSION", then "  LIB (static)" for each entry of the
 * NULL-terminated `libraries` (may be NULL). */
void version_print(FILE *fp, const char *program, const char *const *libraries);

#endif /* RAMPART_COMMON_VERSION_H */
