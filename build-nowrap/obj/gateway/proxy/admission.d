build-nowrap/obj/gateway/proxy/admission.o: gateway/proxy/admission.c \
 gateway/proxy/admission.h gateway/proxy/worker.h \
 gateway/upstream/backend.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h gateway/event/loop.h \
 gateway/admin/metrics.h gateway/admin/admin_history.h \
 gateway/admin/status.h gateway/proxy/abuse.h gateway/proxy/connlimit.h
gateway/proxy/admission.h:
gateway/proxy/worker.h:
gateway/upstream/backend.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/event/loop.h:
gateway/admin/metrics.h:
gateway/admin/admin_history.h:
gateway/admin/status.h:
gateway/proxy/abuse.h:
gateway/proxy/connlimit.h:
