build-nowrap/obj/gateway/admin/metrics.o: gateway/admin/metrics.c \
 gateway/admin/metrics.h gateway/admin/admin_history.h \
 gateway/admin/status.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h
gateway/admin/metrics.h:
gateway/admin/admin_history.h:
gateway/admin/status.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
