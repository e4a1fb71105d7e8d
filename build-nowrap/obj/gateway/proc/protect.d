build-nowrap/obj/gateway/proc/protect.o: gateway/proc/protect.c \
 gateway/proc/protect.h common/parse.h gateway/config/config.h \
 common/log.h tls/tls_config.h
gateway/proc/protect.h:
common/parse.h:
gateway/config/config.h:
common/log.h:
tls/tls_config.h:
