build-nowrap/obj/gateway/config/keys_peer.o: gateway/config/keys_peer.c \
 gateway/config/config_internal.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h
gateway/config/config_internal.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
