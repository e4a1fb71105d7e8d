build-nowrap/obj/gateway/config/config_errors.o: \
 gateway/config/config_errors.c gateway/config/config_internal.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h
gateway/config/config_internal.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
