build-nowrap/obj/gateway/proc/guard.o: gateway/proc/guard.c \
 gateway/proc/guard.h common/parse.h gateway/config/config.h common/log.h \
 tls/tls_config.h gateway/ha/vrrp_net.h gateway/ha/vrrp_node.h \
 gateway/event/loop.h gateway/proc/sandbox.h
gateway/proc/guard.h:
common/parse.h:
gateway/config/config.h:
common/log.h:
tls/tls_config.h:
gateway/ha/vrrp_net.h:
gateway/ha/vrrp_node.h:
gateway/event/loop.h:
gateway/proc/sandbox.h:
