build-nowrap/obj/gateway/config/config_validate_peer.o: \
 gateway/config/config_validate_peer.c gateway/config/config_internal.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h \
 tls/tls_peer.h tls/tls.h
gateway/config/config_internal.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
tls/tls_peer.h:
tls/tls.h:
