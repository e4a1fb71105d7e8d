build-nowrap/obj/gateway/ha/vrrp_node.o: gateway/ha/vrrp_node.c \
 gateway/ha/vrrp_node.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h gateway/event/loop.h gateway/ha/vip.h \
 gateway/ha/vrrp.h gateway/ha/vrrp_net.h
gateway/ha/vrrp_node.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/event/loop.h:
gateway/ha/vip.h:
gateway/ha/vrrp.h:
gateway/ha/vrrp_net.h:
