build-nowrap/obj/gateway/admin/admin_health.o: \
 gateway/admin/admin_health.c gateway/admin/admin_health.h \
 gateway/admin/metrics.h gateway/admin/admin_history.h \
 gateway/admin/status.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h gateway/admin/admin.h \
 gateway/event/loop.h
gateway/admin/admin_health.h:
gateway/admin/metrics.h:
gateway/admin/admin_history.h:
gateway/admin/status.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/admin/admin.h:
gateway/event/loop.h:
