build-nowrap/obj/gateway/proc/supervise.o: gateway/proc/supervise.c \
 gateway/proc/supervise.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h
gateway/proc/supervise.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
