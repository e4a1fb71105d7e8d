build-nowrap/obj/gateway/proc/relay.o: gateway/proc/relay.c \
 gateway/proc/relay.h gateway/config/config.h common/log.h common/parse.h \
 tls/tls_config.h gateway/proxy/abuse.h gateway/proxy/access_log.h \
 gateway/admin/admin.h gateway/admin/status.h gateway/event/loop.h \
 gateway/upstream/backend.h gateway/upstream/health.h gateway/proc/ipc.h \
 tls/tls.h gateway/proc/listener.h gateway/proxy/worker.h \
 common/ratelimit.h gateway/admin/metrics.h gateway/admin/admin_history.h \
 gateway/proc/sandbox.h
gateway/proc/relay.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/proxy/abuse.h:
gateway/proxy/access_log.h:
gateway/admin/admin.h:
gateway/admin/status.h:
gateway/event/loop.h:
gateway/upstream/backend.h:
gateway/upstream/health.h:
gateway/proc/ipc.h:
tls/tls.h:
gateway/proc/listener.h:
gateway/proxy/worker.h:
common/ratelimit.h:
gateway/admin/metrics.h:
gateway/admin/admin_history.h:
gateway/proc/sandbox.h:
