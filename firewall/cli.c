/*
 * rampart-fw: the firewall policy tool. Each subcommand is a thin shell
 * around the library (firewall/firewall.h); see rampart-fw(8).
 *
 * Exit status: 0 success, 1 the policy or the kernel refused, 2 usage.
 */
#include "common/version.h"
#include "firewall/compile.h"
#include "firewall/confirm.h"
#include "firewall/decompile.h"
#include "firewall/diff.h"
#include "firewall/firewall.h"
#include "firewall/policy.h"
#include "firewall/render.h"
#include "firewall/ruleset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_text[] = "usage: rampart-fw check FILE\n"
                                 "       rampart-fw render FILE\n"
                                 "       rampart-fw apply FILE [--confirm SECONDS]\n"
                                 "       rampart-fw confirm\n"
                                 "       rampart-fw show\n"
                                 "       rampart-fw diff FILE\n"
                                 "       rampart-fw block ADDR... [--timeout DURATION] [--batch] [--timing]\n"
                                 "       rampart-fw unblock ADDR\n"
                                 "       rampart-fw blocked\n"
                                 "       rampart-fw status\n"
                                 "       rampart-fw flush\n"
                                 "       rampart-fw --version\n";

static int usage(void)
{
    fputs(usage_text, stderr);
    return 2;
}

/* Loads and checks a policy; prints every diagnostic to stderr. */
static struct policy *load_policy(const char *path)
{
    static struct policy_diags diags;
    memset(&diags, 0, sizeof diags);
    struct policy *pol = policy_load(path, &diags);
    policy_diags_print(&diags, stderr);
    return pol;
}

static int cmd_check(int argc, char **argv)
{
    if (argc != 1)
        return usage();
    struct policy *pol = load_policy(argv[0]);
    if (!pol)
        return 1;
    printf("%s: ok (%u sets, %u rules)\n", argv[0], pol->n_sets, pol->n_rules);
    policy_free(pol);
    return 0;
}

static int cmd_render(int argc, char **argv)
{
    if (argc != 1)
        return usage();
    struct policy *pol = load_policy(argv[0]);
    if (!pol)
        return 1;
    struct fw_ruleset rs;
    int rc = 0;
    if (fw_lower(pol, &rs) < 0) {
        fprintf(stderr, "rampart-fw: out of memory\n");
        rc = 1;
    } else {
        fw_render(stdout, &rs);
        fw_ruleset_free(&rs);
    }
    policy_free(pol);
    return rc;
}

/* RAMPART_FW_FAULT=reject makes the kernel refuse the batch (tests only). */
static unsigned fault_flags(void)
{
    const char *f = getenv("RAMPART_FW_FAULT");
    return f && strcmp(f, "reject") == 0 ? FW_COMPILE_FAULT : 0;
}

static int cmd_apply(int argc, char **argv)
{
    long long confirm_s = 0;
    char why[PARSE_WHY_MAX], err[FW_ERR_MAX];
    if (argc == 3 && strcmp(argv[1], "--confirm") == 0) {
        if (parse_int_range(argv[2], 1, FW_CONFIRM_MAX_S, &confirm_s, why) < 0) {
            fprintf(stderr, "rampart-fw: --confirm: %s\n", why);
            return 2;
        }
    } else if (argc != 1) {
        return usage();
    }
    struct policy *pol = load_policy(argv[0]);
    if (!pol) {
        fprintf(stderr, "rampart-fw: %s refused, nothing applied\n", argv[0]);
        return 1;
    }
    int rc;
    if (confirm_s) {
        rc = fw_apply_confirmed(pol, (unsigned)confirm_s, err);
    } else if (fw_confirm_pending()) {
        snprintf(err, sizeof err, "an apply --confirm is pending: confirm it first");
        rc = -1;
    } else {
        rc = fw_apply_policy(pol, fault_flags(), err);
    }
    if (rc < 0)
        fprintf(stderr, "rampart-fw: %s\n", err);
    else if (confirm_s)
        printf("applied %s; the previous ruleset returns in %llds unless `rampart-fw confirm`\n", argv[0],
               confirm_s);
    else
        printf("applied %s (%u sets, %u rules)\n", argv[0], pol->n_sets, pol->n_rules);
    policy_free(pol);
    return rc < 0 ? 1 : 0;
}

static int cmd_confirm(int argc, char **argv)
{
    (void)argv;
    char err[FW_ERR_MAX];
    if (argc != 0)
        return usage();
    if (fw_confirm(err) < 0) {
        fprintf(stderr, "rampart-fw: %s\n", err);
        return 1;
    }
    printf("confirmed\n");
    return 0;
}

static int cmd_flush(int argc, char **argv)
{
    (void)argv;
    if (argc != 0)
        return usage();
    char err[FW_ERR_MAX];
    if (fw_remove(err) < 0) {
        fprintf(stderr, "rampart-fw: %s\n", err);
        return 1;
    }
    return 0;
}

static int cmd_show(int argc, char **argv)
{
    (void)argv;
    if (argc != 0)
        return usage();
    struct fw_running run;
    char err[FW_ERR_MAX];
    if (fw_running_read(&run, err) < 0) {
        fprintf(stderr, "rampart-fw: %s\n", err);
        return 1;
    }
    if (!run.exists) {
        fprintf(stderr, "rampart-fw: no table inet %s (no policy applied)\n", FW_TABLE);
        return 1;
    }
    fw_render(stdout, &run.rs);
    if (run.foreign)
        fprintf(stderr, "rampart-fw: warning: %u rule(s) or chain(s) not written by rampart-fw\n",
                run.foreign);
    fw_running_free(&run);
    return 0;
}

/* Exit status like diff(1): 0 no change, 1 changes, 2 trouble. */
static int cmd_diff(int argc, char **argv)
{
    if (argc != 1)
        return usage();
    struct policy *pol = load_policy(argv[0]);
    if (!pol)
        return 2;
    struct fw_ruleset rs;
    char err[FW_ERR_MAX];
    int changes = -1;
    if (fw_lower(pol, &rs) < 0) {
        snprintf(err, sizeof err, "out of memory");
    } else {
        changes = fw_diff(&rs, stdout, err);
        fw_ruleset_free(&rs);
    }
    policy_free(pol);
    if (changes < 0) {
        fprintf(stderr, "rampart-fw: %s\n", err);
        return 2;
    }
    if (changes == 0)
        printf("no changes\n");
    return changes ? 1 : 0;
}

static int parse_addr_arg(const char *text, struct ip_addr *addr)
{
    char why[PARSE_WHY_MAX];
    if (parse_ip(text, addr, why) < 0) {
        fprintf(stderr, "rampart-fw: %s\n", why);
        return -1;
    }
    return 0;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Blocks addrs[0..n) in transactions of `per` addresses over one socket
 * (the daemon's way); --timing prints how long each took. */
static int block_all(const struct ip_addr *addrs, char **names, int n, int per, uint64_t timeout_ms,
                     bool timing)
{
    char err[FW_ERR_MAX];
    struct fw_blocker *bl = fw_blocker_new();
    int rc = bl ? 0 : (fprintf(stderr, "rampart-fw: out of memory\n"), 1);
    for (int i = 0; rc == 0 && i < n; i += per) {
        int k = n - i < per ? n - i : per;
        double t0 = now_us();
        if (fw_blocker_block(bl, &addrs[i], (size_t)k, timeout_ms, err) < 0) {
            fprintf(stderr, "rampart-fw: %s%s: %s\n", names[i], k > 1 ? " and the next ones" : "", err);
            rc = 1;
        } else if (timing && k == 1) {
            printf("block %s took %.0f us\n", names[i], now_us() - t0);
        } else if (timing) {
            printf("block %d addresses took %.0f us\n", k, now_us() - t0);
        }
    }
    fw_blocker_free(bl);
    return rc;
}

/* block ADDR... [--timeout D] [--batch] [--timing]: one transaction per
 * address (--batch: up to FW_BLOCK_BATCH_MAX per transaction), all over
 * one netlink socket; --timing prints how long each took (the
 * benchmark's figure). */
static int cmd_block(int argc, char **argv)
{
    uint64_t timeout_ms = 0;
    bool timing = false, batch = false;
    int n_addrs = 0;
    char why[PARSE_WHY_MAX];
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--timing") == 0) {
            timing = true;
        } else if (strcmp(argv[i], "--batch") == 0) {
            batch = true;
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            if (parse_duration_ms(argv[++i], FW_BLOCK_MAX_TIMEOUT_MS, &timeout_ms, why) < 0) {
                fprintf(stderr, "rampart-fw: --timeout: %s\n", why);
                return 2;
            }
        } else {
            argv[n_addrs++] = argv[i];
        }
    }
    if (n_addrs == 0)
        return usage();
    struct ip_addr *addrs = calloc((size_t)n_addrs, sizeof *addrs);
    if (!addrs)
        return 1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < n_addrs; i++)
        if (parse_addr_arg(argv[i], &addrs[i]) < 0)
            rc = 2;
    if (rc == 0)
        rc = block_all(addrs, argv, n_addrs, batch ? FW_BLOCK_BATCH_MAX : 1, timeout_ms, timing);
    free(addrs);
    return rc;
}

static int cmd_unblock(int argc, char **argv)
{
    struct ip_addr addr;
    char err[FW_ERR_MAX];
    if (argc != 1)
        return usage();
    if (parse_addr_arg(argv[0], &addr) < 0)
        return 2;
    if (fw_unblock(&addr, err) < 0) {
        fprintf(stderr, "rampart-fw: %s\n", err);
        return 1;
    }
    return 0;
}

static int cmd_blocked(int argc, char **argv)
{
    (void)argv;
    char err[FW_ERR_MAX];
    if (argc != 0)
        return usage();
    if (fw_blocked_print(stdout, err) < 0) {
        fprintf(stderr, "rampart-fw: %s\n", err);
        return 1;
    }
    return 0;
}

/* Drop counters and blocked addresses, one "NAME PACKETS BYTES" per line. */
static int cmd_status(int argc, char **argv)
{
    (void)argv;
    struct fw_status st;
    char err[FW_ERR_MAX];
    if (argc != 0)
        return usage();
    if (fw_status_read(&st, err) < 0) {
        fprintf(stderr, "rampart-fw: %s\n", err);
        return 1;
    }
    printf("applied %s\nblocked %u\n", st.applied ? "yes" : "no", st.blocked);
    for (unsigned i = 0; i < st.n_drops; i++)
        printf("drop %s packets %llu bytes %llu\n", st.drops[i].name, (unsigned long long)st.drops[i].packets,
               (unsigned long long)st.drops[i].bytes);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        version_print(stdout, "rampart-fw", NULL);
        return 0;
    }
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "render") == 0)
        return cmd_render(argc - 2, argv + 2);
    if (strcmp(cmd, "apply") == 0)
        return cmd_apply(argc - 2, argv + 2);
    if (strcmp(cmd, "confirm") == 0)
        return cmd_confirm(argc - 2, argv + 2);
    if (strcmp(cmd, "show") == 0)
        return cmd_show(argc - 2, argv + 2);
    if (strcmp(cmd, "diff") == 0)
        return cmd_diff(argc - 2, argv + 2);
    if (strcmp(cmd, "block") == 0)
        return cmd_block(argc - 2, argv + 2);
    if (strcmp(cmd, "unblock") == 0)
        return cmd_unblock(argc - 2, argv + 2);
    if (strcmp(cmd, "blocked") == 0)
        return cmd_blocked(argc - 2, argv + 2);
    if (strcmp(cmd, "status") == 0)
        return cmd_status(argc - 2, argv + 2);
    if (strcmp(cmd, "flush") == 0)
        return cmd_flush(argc - 2, argv + 2);
    return usage();
}
