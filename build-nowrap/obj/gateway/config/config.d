build-nowrap/obj/gateway/config/config.o: gateway/config/config.c \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h \
 gateway/config/config_internal.h
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/config/config_internal.h:
