build-nowrap/obj/gateway/upstream/health.o: gateway/upstream/health.c \
 gateway/upstream/health.h gateway/upstream/backend.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h \
 gateway/event/loop.h
gateway/upstream/health.h:
gateway/upstream/backend.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/event/loop.h:
