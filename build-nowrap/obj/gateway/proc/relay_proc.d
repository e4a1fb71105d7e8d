build-nowrap/obj/gateway/proc/relay_proc.o: gateway/proc/relay_proc.c \
 gateway/proc/relay_proc.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h gateway/proc/ipc.h \
 gateway/admin/status.h tls/tls.h gateway/event/loop.h \
 gateway/proc/listener.h gateway/proxy/worker.h \
 gateway/upstream/backend.h gateway/proc/relay.h gateway/proc/sandbox.h
gateway/proc/relay_proc.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/proc/ipc.h:
gateway/admin/status.h:
tls/tls.h:
gateway/event/loop.h:
gateway/proc/listener.h:
gateway/proxy/worker.h:
gateway/upstream/backend.h:
gateway/proc/relay.h:
gateway/proc/sandbox.h:
