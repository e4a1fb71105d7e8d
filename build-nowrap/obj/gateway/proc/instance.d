build-nowrap/obj/gateway/proc/instance.o: gateway/proc/instance.c \
 gateway/proc/instance.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h gateway/proc/listener.h \
 gateway/proxy/worker.h gateway/upstream/backend.h gateway/event/loop.h
gateway/proc/instance.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/proc/listener.h:
gateway/proxy/worker.h:
gateway/upstream/backend.h:
gateway/event/loop.h:
