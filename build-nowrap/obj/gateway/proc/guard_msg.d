build-nowrap/obj/gateway/proc/guard_msg.o: gateway/proc/guard_msg.c \
 gateway/proc/guard.h common/parse.h gateway/config/config.h common/log.h \
 tls/tls_config.h
gateway/proc/guard.h:
common/parse.h:
gateway/config/config.h:
common/log.h:
tls/tls_config.h:
