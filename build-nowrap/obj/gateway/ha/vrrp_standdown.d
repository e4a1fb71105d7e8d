build-nowrap/obj/gateway/ha/vrrp_standdown.o: gateway/ha/vrrp_standdown.c \
 gateway/ha/vrrp_standdown.h common/parse.h gateway/ha/vip.h \
 gateway/ha/vrrp.h gateway/ha/vrrp_net.h
gateway/ha/vrrp_standdown.h:
common/parse.h:
gateway/ha/vip.h:
gateway/ha/vrrp.h:
gateway/ha/vrrp_net.h:
