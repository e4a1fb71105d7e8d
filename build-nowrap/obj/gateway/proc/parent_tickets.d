build-nowrap/obj/gateway/proc/parent_tickets.o: \
 gateway/proc/parent_tickets.c gateway/proc/parent_tickets.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h \
 gateway/event/loop.h gateway/ha/peer_keys.h gateway/ha/peer_proto.h \
 tls/tls.h
gateway/proc/parent_tickets.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/event/loop.h:
gateway/ha/peer_keys.h:
gateway/ha/peer_proto.h:
tls/tls.h:
