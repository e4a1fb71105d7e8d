build-nowrap/obj/gateway/proxy/worker.o: gateway/proxy/worker.c \
 gateway/proxy/worker.h gateway/upstream/backend.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h \
 gateway/event/loop.h gateway/proxy/admission.h gateway/proxy/conn.h \
 gateway/proxy/connlimit.h
gateway/proxy/worker.h:
gateway/upstream/backend.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/event/loop.h:
gateway/proxy/admission.h:
gateway/proxy/conn.h:
gateway/proxy/connlimit.h:
