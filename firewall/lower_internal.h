/*
 * Internal to the lowering (lower.c): how a blocklist rule is narrowed to
 * the service ports (lower_service.c). lower.c calls these; they call
 * nothing in lower.c.
 *
 * A service rule opens ports to anyone: direction in, action accept, no
 * source, protocol tcp or udp. A blocklist rule drops (or rejects) the
 * sources of the dynamic set "blocklist" or "blocklist6" and names no
 * protocol or port of its own. Pure: no I/O.
 */
#ifndef RAMPART_FIREWALL_LOWER_INTERNAL_H
#define RAMPART_FIREWALL_LOWER_INTERNAL_H

#include "firewall/ruleset.h"

bool fw_lower_is_service(const struct policy_rule *pr);
bool fw_lower_is_blocklist(const struct policy *pol, const struct policy_rule *pr);

/* The destination ports the input chain's service rules of protocol
 * `proto` open, merged, as one match (FW_M_NONE: every port, when one of
 * them names none). Returns 1 with *out filled (an FW_M_ANON match owns
 * its ranges), 0 when no service rule has that protocol, -1 when out of
 * memory. */
int fw_lower_service_ports(const struct policy *pol, int proto, struct fw_match *out);

#endif /* RAMPART_FIREWALL_LOWER_INTERNAL_H */
