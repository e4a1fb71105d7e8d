build-nowrap/obj/gateway/admin/admin.o: gateway/admin/admin.c \
 gateway/admin/admin.h gateway/admin/status.h gateway/config/config.h \
 common/log.h common/parse.h tls/tls_config.h gateway/event/loop.h \
 gateway/admin/admin_http.h gateway/admin/metrics.h \
 gateway/admin/admin_history.h common/strbuf.h
gateway/admin/admin.h:
gateway/admin/status.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/event/loop.h:
gateway/admin/admin_http.h:
gateway/admin/metrics.h:
gateway/admin/admin_history.h:
common/strbuf.h:
