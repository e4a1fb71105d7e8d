build-nowrap/obj/gateway/ha/peer_proto.o: gateway/ha/peer_proto.c \
 gateway/ha/peer_proto.h common/parse.h tls/tls.h tls/tls_config.h
gateway/ha/peer_proto.h:
common/parse.h:
tls/tls.h:
tls/tls_config.h:
