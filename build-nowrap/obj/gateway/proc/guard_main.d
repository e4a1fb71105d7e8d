build-nowrap/obj/gateway/proc/guard_main.o: gateway/proc/guard_main.c \
 gateway/proc/guard.h common/parse.h gateway/config/config.h common/log.h \
 tls/tls_config.h gateway/ha/vrrp_standdown.h gateway/proc/sandbox.h
gateway/proc/guard.h:
common/parse.h:
gateway/config/config.h:
common/log.h:
tls/tls_config.h:
gateway/ha/vrrp_standdown.h:
gateway/proc/sandbox.h:
