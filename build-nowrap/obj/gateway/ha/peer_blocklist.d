build-nowrap/obj/gateway/ha/peer_blocklist.o: gateway/ha/peer_blocklist.c \
 gateway/ha/peer_blocklist.h common/parse.h gateway/ha/peer_proto.h \
 tls/tls.h tls/tls_config.h
gateway/ha/peer_blocklist.h:
common/parse.h:
gateway/ha/peer_proto.h:
tls/tls.h:
tls/tls_config.h:
