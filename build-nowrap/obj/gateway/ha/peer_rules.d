build-nowrap/obj/gateway/ha/peer_rules.o: gateway/ha/peer_rules.c \
 gateway/ha/peer_link.h gateway/ha/peer_proto.h common/parse.h tls/tls.h \
 tls/tls_config.h tls/tls_peer.h
gateway/ha/peer_link.h:
gateway/ha/peer_proto.h:
common/parse.h:
tls/tls.h:
tls/tls_config.h:
tls/tls_peer.h:
