build-nowrap/obj/gateway/admin/admin_http.o: gateway/admin/admin_http.c \
 gateway/admin/admin_http.h gateway/admin/metrics.h \
 gateway/admin/admin_history.h gateway/admin/status.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h \
 common/strbuf.h gateway/admin/admin.h gateway/event/loop.h \
 gateway/admin/admin_health.h gateway/admin/admin_page.h \
 gateway/admin/metrics_render.h
gateway/admin/admin_http.h:
gateway/admin/metrics.h:
gateway/admin/admin_history.h:
gateway/admin/status.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
common/strbuf.h:
gateway/admin/admin.h:
gateway/event/loop.h:
gateway/admin/admin_health.h:
gateway/admin/admin_page.h:
gateway/admin/metrics_render.h:
