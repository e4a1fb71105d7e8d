/*
 * rampart: the gateway daemon. This file only reads the command line and
 * hands over; the daemon's roles live in their own files.
 */
#include "common/version.h"
#include "gateway/config/config.h"
#include "gateway/http/http_parse.h"
#include "gateway/proc/keyholder.h"
#include "gateway/proc/parent.h"
#include "gateway/proc/guard.h"
#include "gateway/proc/relay.h"
#include "tls/tls.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONFIG "/etc/rampart/rampart.ini"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: rampart [-t] [-c FILE]\n"
                "       rampart --version\n"
                "  -c FILE    configuration file (default " DEFAULT_CONFIG ")\n"
                "  -t         check the configuration and exit\n");
}

/* `rampart -t`: 0 and "configuration OK", or every problem and 1. */
static int main_check_config(const char *path)
{
    struct config_errors errors;
    struct config *cfg = config_load(path, &errors);
    if (!cfg) {
        config_errors_print(&errors, stderr);
        return 1;
    }
    char err[512];
    int rc = parent_check_tls(cfg, true, err, sizeof err);
    config_free(cfg);
    if (rc < 0) {
        fprintf(stderr, "%s: [tls] %s\n", path, err);
        return 1;
    }
    printf("%s: configuration OK\n", path);
    return 0;
}

/* `rampart -c FILE`: the parent process, which starts the relay. */
static int serve(const char *path)
{
    struct config_errors errors;
    struct config *cfg = config_load(path, &errors);
    if (!cfg) {
        config_errors_print(&errors, stderr);
        return 1;
    }
    return parent_run(cfg);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], RELAY_ARGV_FLAG) == 0)
        return relay_main();
    if (argc == 2 && strcmp(argv[1], KEYHOLDER_ARGV_FLAG) == 0)
        return keyholder_main();
    if (argc == 2 && strcmp(argv[1], GUARD_ARGV_FLAG) == 0)
        return guard_main();
    static const struct option long_opts[] = {
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {"config", required_argument, NULL, 'c'},
        {"test", no_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    const char *path = DEFAULT_CONFIG;
    bool test_only = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:thV", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'c': path = optarg; break;
        case 't': test_only = true; break;
        case 'V': {
            const char *libs[] = {tls_library_version(), http_parse_library_version(), NULL};
            version_print(stdout, "rampart", libs);
            return 0;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (test_only)
        return main_check_config(path);
    return serve(path);
}
