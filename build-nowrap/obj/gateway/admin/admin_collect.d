build-nowrap/obj/gateway/admin/admin_collect.o: \
 gateway/admin/admin_collect.c gateway/admin/admin.h \
 gateway/admin/status.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h gateway/event/loop.h \
 gateway/upstream/backend.h gateway/admin/metrics.h \
 gateway/admin/admin_history.h tls/tls.h
gateway/admin/admin.h:
gateway/admin/status.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/event/loop.h:
gateway/upstream/backend.h:
gateway/admin/metrics.h:
gateway/admin/admin_history.h:
tls/tls.h:
