/*
 * The ruleset as nft text: `rampart-fw render`. Deterministic, and the same
 * text `nft list table inet rampart` prints after `rampart-fw apply` (up to
 * white space), so a review of the rendered text is a review of the kernel's.
 */
#ifndef RAMPART_FIREWALL_RENDER_H
#define RAMPART_FIREWALL_RENDER_H

#include "firewall/ruleset.h"

#include <stdio.h>

void fw_render(FILE *out, const struct fw_ruleset *rs);
void fw_render_rule(FILE *out, const struct fw_rule *r);

/* "reject", "reject with tcp reset", ... as nft prints the rule's reject. */
const char *fw_reject_text(const struct fw_rule *r);

/* A duration as nft prints it: "10m", "1h30m", "1d". */
void fw_format_time(uint64_t ms, char *buf, size_t len);

#endif /* RAMPART_FIREWALL_RENDER_H */
