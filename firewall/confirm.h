/*
 * Commit-confirmed apply (`rampart-fw apply --confirm N` / `confirm`): the
 * previous table comes back by itself unless the new policy is confirmed
 * in time, even when the shell that applied it is gone.
 */
#ifndef RAMPART_FIREWALL_CONFIRM_H
#define RAMPART_FIREWALL_CONFIRM_H

#include "firewall/firewall.h"

#include <stdbool.h>

#define FW_CONFIRM_MAX_S 3600
#define FW_CONFIRM_WORD  "confirm"

/* Applies `pol` and starts the detached guard that restores the current
 * table after `seconds` unless confirmed. Refused (nothing changed) when
 * another confirmation is pending or the current table cannot be restored. */
int fw_apply_confirmed(const struct policy *pol, unsigned seconds, char *err);

/* Confirms the pending apply: the guard exits and the new policy stays. */
int fw_confirm(char *err);

/* Is an apply --confirm waiting for its confirmation? */
bool fw_confirm_pending(void);

#endif /* RAMPART_FIREWALL_CONFIRM_H */
