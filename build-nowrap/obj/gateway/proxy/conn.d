build-nowrap/obj/gateway/proxy/conn.o: gateway/proxy/conn.c \
 gateway/proxy/conn_internal.h gateway/upstream/backend.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h \
 gateway/http/http_parse.h gateway/http/http_rules.h gateway/event/loop.h \
 gateway/proxy/conn.h gateway/proxy/worker.h gateway/proxy/waitq.h \
 gateway/proxy/admission.h gateway/admin/metrics.h \
 gateway/admin/admin_history.h gateway/admin/status.h tls/tls.h
gateway/proxy/conn_internal.h:
gateway/upstream/backend.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/http/http_parse.h:
gateway/http/http_rules.h:
gateway/event/loop.h:
gateway/proxy/conn.h:
gateway/proxy/worker.h:
gateway/proxy/waitq.h:
gateway/proxy/admission.h:
gateway/admin/metrics.h:
gateway/admin/admin_history.h:
gateway/admin/status.h:
tls/tls.h:
