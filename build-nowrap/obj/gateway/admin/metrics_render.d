build-nowrap/obj/gateway/admin/metrics_render.o: \
 gateway/admin/metrics_render.c gateway/admin/metrics_render.h \
 gateway/admin/metrics.h gateway/admin/admin_history.h \
 gateway/admin/status.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h common/strbuf.h gateway/admin/admin.h \
 gateway/event/loop.h tls/tls_crypto.h
gateway/admin/metrics_render.h:
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
tls/tls_crypto.h:
