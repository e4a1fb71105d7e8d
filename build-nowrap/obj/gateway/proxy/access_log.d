build-nowrap/obj/gateway/proxy/access_log.o: gateway/proxy/access_log.c \
 gateway/proxy/access_log.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h common/strbuf.h
gateway/proxy/access_log.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
common/strbuf.h:
