build-nowrap/obj/gateway/config/keys_tls.o: gateway/config/keys_tls.c \
 gateway/config/config_internal.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h
gateway/config/config_internal.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
