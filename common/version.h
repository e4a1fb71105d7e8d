#ifndef RAMPART_COMMON_VERSION_H
#define RAMPART_COMMON_VERSION_H

#include <stdio.h>

/* Prints "rampart VERSION" and the versions of the libraries built in. */
void version_print(FILE *fp, const char *program);

#endif
