build-nowrap/obj/gateway/main.o: gateway/main.c common/version.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h \
 gateway/http/http_parse.h gateway/proc/parent.h gateway/proc/guard.h \
 gateway/proc/relay.h tls/tls.h
common/version.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/http/http_parse.h:
gateway/proc/parent.h:
gateway/proc/guard.h:
gateway/proc/relay.h:
tls/tls.h:
