/*
 * config_sections: the sections of rampart.ini in the order they are
 * documented. A new section gets its key table in one keys_*.c file and
 * one line here.
 */
#include "gateway/config/config_internal.h"

#include <stddef.h>

const struct config_section *const config_sections[] = {
    &config_section_gateway, &config_section_tls,      &config_section_backend, &config_section_health,
    &config_section_limits,  &config_section_http2,    &config_section_vrrp,    &config_section_bgp,
    &config_section_admin,   &config_section_firewall, &config_section_peer,    NULL,
};
