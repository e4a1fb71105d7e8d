build-nowrap/obj/gateway/proxy/conn_http.o: gateway/proxy/conn_http.c \
 gateway/proxy/conn_internal.h gateway/upstream/backend.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h \
 gateway/http/http_parse.h gateway/http/http_rules.h gateway/event/loop.h \
 gateway/proxy/conn.h gateway/proxy/worker.h gateway/proxy/waitq.h \
 gateway/admin/metrics.h gateway/admin/admin_history.h \
 gateway/admin/status.h gateway/proxy/abuse.h gateway/proxy/access_log.h \
 gateway/proxy/admission.h tls/tls.h
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
gateway/admin/metrics.h:
gateway/admin/admin_history.h:
gateway/admin/status.h:
gateway/proxy/abuse.h:
gateway/proxy/access_log.h:
gateway/proxy/admission.h:
tls/tls.h:
