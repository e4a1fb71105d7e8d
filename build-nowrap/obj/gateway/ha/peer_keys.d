build-nowrap/obj/gateway/ha/peer_keys.o: gateway/ha/peer_keys.c \
 gateway/ha/peer_keys.h gateway/ha/peer_proto.h common/parse.h tls/tls.h \
 tls/tls_config.h
gateway/ha/peer_keys.h:
gateway/ha/peer_proto.h:
common/parse.h:
tls/tls.h:
tls/tls_config.h:
