/*
 * config_values: checks of values that several sections share (server
 * and backend names, interface names).
 */
#include "gateway/config/config_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Server names and backend names: letters, digits, '-', '.', '_' ('*.' prefix
 * allowed for server names). */
bool config_name_ok(const char *name, bool allow_wildcard)
{
    if (allow_wildcard && strncmp(name, "*.", 2) == 0)
        name += 2;
    if (!*name || strlen(name) >= CONFIG_NAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
            return false;
    return true;
}

bool config_ifname_ok(const char *name)
{
    if (!*name || strlen(name) >= CONFIG_IFNAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
            return false;
    return true;
}

bool config_key_seen(const struct config_section *s, uint64_t seen, const char *name)
{
    for (unsigned i = 0; s->keys[i].name; i++)
        if (strcmp(s->keys[i].name, name) == 0)
            return (seen >> i) & 1;
    return false;
}
