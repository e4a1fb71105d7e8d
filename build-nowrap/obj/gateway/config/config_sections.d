build-nowrap/obj/gateway/config/config_sections.o: \
 gateway/config/config_sections.c gateway/config/config_internal.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h
gateway/config/config_internal.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
