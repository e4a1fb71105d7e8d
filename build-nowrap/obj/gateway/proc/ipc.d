build-nowrap/obj/gateway/proc/ipc.o: gateway/proc/ipc.c \
 gateway/proc/ipc.h gateway/admin/status.h gateway/config/config.h \
 common/log.h common/parse.h tls/tls_config.h tls/tls.h
gateway/proc/ipc.h:
gateway/admin/status.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
tls/tls.h:
