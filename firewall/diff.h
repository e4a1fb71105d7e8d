/* `rampart-fw diff`: what apply would change in the running table. */
#ifndef RAMPART_FIREWALL_DIFF_H
#define RAMPART_FIREWALL_DIFF_H

#include "firewall/ruleset.h"

#include <stdio.h>

#define FW_DIFF_CONTEXT 2 /* unchanged lines shown around a change */

/* Prints the running table against `next`, line by line, marking removed
 * lines "-" and added ones "+". Returns the number of changed lines, or -1
 * with `err` (FW_NL_ERR_MAX bytes). */
int fw_diff(const struct fw_ruleset *next, FILE *out, char *err);

/* The line comparison itself (pure): prints old -> new, returns the number
 * of changed lines or -1. */
int fw_diff_text(FILE *out, const char *old_text, const char *new_text);

#endif /* RAMPART_FIREWALL_DIFF_H */
