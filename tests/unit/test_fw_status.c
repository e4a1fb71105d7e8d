/* Unit tests for firewall/status.c: stable counter names for the metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "firewall/firewall.h"
#include "firewall/ruleset.h"
#include "tests/unit/helpers/t_policy.h"

#include <string.h>

static void test_names_and_sums(void **state)
{
    (void)state;
    struct policy *pol = t_policy_must_load(
        "[policy]\nname = s\n[set blocklist]\ntype = ipv4\ndynamic = yes\n"
        "[rule blocked]\nsource = @blocklist\naction = drop\ncounter = yes\n"
        "[rule https]\nprotocol = tcp\ndport = 443\nlimit = 5/second per-source\naction = accept\n"
        "[rule quiet]\nprotocol = udp\naction = drop\n");
    struct fw_ruleset rs;
    assert_int_equal(fw_lower(pol, &rs), 0);
    for (size_t i = 0; i < rs.n_rules; i++)
        rs.rules[i].packets = 10, rs.rules[i].bytes = 1000;
    rs.sets[0].n_ranges = 0;
    struct fw_status st;
    fw_status_from_ruleset(&rs, &st);
    assert_true(st.applied);
    assert_int_equal(st.blocked, 0);
    /* blocked, https_over_limit (v4 + v6 summed), default_input, default_forward;
     * "quiet" has no counter, output accepts by default */
    assert_int_equal(st.n_drops, 4);
    assert_string_equal(st.drops[0].name, "blocked");
    assert_string_equal(st.drops[1].name, "https_over_limit");
    assert_int_equal(st.drops[1].packets, 20);
    assert_int_equal(st.drops[1].bytes, 2000);
    assert_string_equal(st.drops[2].name, "default_input");
    assert_string_equal(st.drops[3].name, "default_forward");
    fw_ruleset_free(&rs);
    policy_free(pol);
}

static void test_counter_limit(void **state)
{
    (void)state;
    /* more counted drop rules than FW_STATUS_MAX_COUNTERS: kept, flagged */
    char text[8192];
    int n = snprintf(text, sizeof text, "[policy]\nname = s\ninput = accept\nforward = accept\n");
    for (int i = 0; i < FW_STATUS_MAX_COUNTERS + 1; i++)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "[rule r%d]\nprotocol = tcp\ndport = %d\naction = drop\ncounter = yes\n", i, 1000 + i);
    struct policy *pol = t_policy_must_load("%s", text);
    struct fw_ruleset rs;
    assert_int_equal(fw_lower(pol, &rs), 0);
    struct fw_status st;
    fw_status_from_ruleset(&rs, &st);
    assert_int_equal(st.n_drops, FW_STATUS_MAX_COUNTERS);
    assert_true(st.more_drops);
    fw_ruleset_free(&rs);
    policy_free(pol);
}

/* The daemon's entry point refuses a bad policy before any netlink (this
 * test runs without privileges and without a namespace). */
static void test_apply_file_refuses_bad_policy(void **state)
{
    (void)state;
    struct policy_diags d;
    char err[FW_ERR_MAX];
    memset(&d, 0, sizeof d);
    assert_int_equal(fw_apply_file("/nonexistent/rampart.policy", &d, err), -1);
    assert_string_equal(d.msg[0], "/nonexistent/rampart.policy: cannot open: No such file or "
                                  "directory");
    assert_string_equal(err, "/nonexistent/rampart.policy: refused (1 error), nothing applied");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_sums),
        cmocka_unit_test(test_counter_limit),
        cmocka_unit_test(test_apply_file_refuses_bad_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
