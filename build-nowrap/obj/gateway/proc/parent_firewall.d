build-nowrap/obj/gateway/proc/parent_firewall.o: \
 gateway/proc/parent_firewall.c gateway/proc/parent_firewall.h \
 common/parse.h common/ratelimit.h gateway/admin/status.h \
 gateway/config/config.h common/log.h tls/tls_config.h \
 gateway/event/loop.h gateway/proc/protect.h firewall/firewall.h \
 firewall/policy.h gateway/proc/parent_blocker.h
gateway/proc/parent_firewall.h:
common/parse.h:
common/ratelimit.h:
gateway/admin/status.h:
gateway/config/config.h:
common/log.h:
tls/tls_config.h:
gateway/event/loop.h:
gateway/proc/protect.h:
firewall/firewall.h:
firewall/policy.h:
gateway/proc/parent_blocker.h:
