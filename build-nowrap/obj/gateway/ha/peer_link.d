build-nowrap/obj/gateway/ha/peer_link.o: gateway/ha/peer_link.c \
 gateway/ha/peer_link_internal.h gateway/event/loop.h \
 gateway/ha/peer_link.h gateway/ha/peer_proto.h common/parse.h tls/tls.h \
 tls/tls_config.h tls/tls_peer.h common/log.h
gateway/ha/peer_link_internal.h:
gateway/event/loop.h:
gateway/ha/peer_link.h:
gateway/ha/peer_proto.h:
common/parse.h:
tls/tls.h:
tls/tls_config.h:
tls/tls_peer.h:
common/log.h:
