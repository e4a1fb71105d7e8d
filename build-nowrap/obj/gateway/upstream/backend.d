build-nowrap/obj/gateway/upstream/backend.o: gateway/upstream/backend.c \
 gateway/upstream/backend.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h
gateway/upstream/backend.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
