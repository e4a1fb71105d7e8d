/*
 * rampart-fw: the firewall policy tool. Each subcommand is a thin shell
 * around the library (firewall/firewall.h); see rampart-fw(8).
 *
 * Exit status: 0 success, 1 the policy or the kernel refused, 2 usage.
 */
#include "common/version.h"
#include "firewall/policy.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: rampart-fw check FILE\n"
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

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        version_print(stdout, "rampart-fw");
        return 0;
    }
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    return usage();
}
