build-nowrap/obj/gateway/proc/parent_peer.o: gateway/proc/parent_peer.c \
 gateway/proc/parent_peer.h gateway/admin/status.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h \
 gateway/event/loop.h gateway/ha/peer_blocklist.h gateway/ha/peer_proto.h \
 tls/tls.h gateway/proc/parent_firewall.h common/ratelimit.h \
 gateway/proc/protect.h gateway/proc/parent_tickets.h \
 gateway/ha/peer_keys.h gateway/ha/peer_link.h tls/tls_peer.h \
 gateway/proc/parent_blocker.h
gateway/proc/parent_peer.h:
gateway/admin/status.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/event/loop.h:
gateway/ha/peer_blocklist.h:
gateway/ha/peer_proto.h:
tls/tls.h:
gateway/proc/parent_firewall.h:
common/ratelimit.h:
gateway/proc/protect.h:
gateway/proc/parent_tickets.h:
gateway/ha/peer_keys.h:
gateway/ha/peer_link.h:
tls/tls_peer.h:
gateway/proc/parent_blocker.h:
