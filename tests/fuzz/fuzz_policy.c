/* libFuzzer target: any bytes as a policy file must give a policy or
 * FILE:LINE errors, never a crash; an accepted policy must lower, render
 * and compile. Run: make fuzz && build-fuzz/fuzz/fuzz_policy -max_total_time=60 */
#include "firewall/compile.h"
#include "firewall/policy.h"
#include "firewall/render.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    static struct policy_diags diags;
    memset(&diags, 0, sizeof diags);
    struct policy *pol = policy_load_text("fuzz.policy", text, &diags);
    if (pol) {
        struct fw_ruleset rs;
        if (fw_lower(pol, &rs) == 0) {
            FILE *out = fopen("/dev/null", "w");
            if (out) {
                fw_render(out, &rs);
                fclose(out);
            }
            struct fw_batch b;
            if (fw_batch_init(&b) == 0)
                fw_compile(&rs, &b, 0);
            fw_batch_free(&b);
            fw_ruleset_free(&rs);
        }
        policy_free(pol);
    }
    free(text);
    return 0;
}
