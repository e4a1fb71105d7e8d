build-nowrap/obj/gateway/proc/listener.o: gateway/proc/listener.c \
 gateway/proc/listener.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h gateway/proxy/worker.h \
 gateway/upstream/backend.h gateway/event/loop.h
gateway/proc/listener.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/proxy/worker.h:
gateway/upstream/backend.h:
gateway/event/loop.h:
