build-nowrap/obj/gateway/admin/admin_chart.o: gateway/admin/admin_chart.c \
 gateway/admin/admin_chart.h gateway/admin/admin_history.h \
 gateway/admin/status.h common/strbuf.h gateway/admin/admin.h \
 gateway/config/config.h common/log.h common/parse.h tls/tls_config.h \
 gateway/event/loop.h
gateway/admin/admin_chart.h:
gateway/admin/admin_history.h:
gateway/admin/status.h:
common/strbuf.h:
gateway/admin/admin.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/event/loop.h:
