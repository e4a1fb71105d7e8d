/*
 * rampart-fw: the firewall policy tool (check, render, apply, ...).
 */
#include "common/version.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        version_print(stdout, "rampart-fw");
        return 0;
    }
    fprintf(stderr, "usage: rampart-fw --version\n");
    return 2;
}
