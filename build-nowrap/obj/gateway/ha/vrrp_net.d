build-nowrap/obj/gateway/ha/vrrp_net.o: gateway/ha/vrrp_net.c \
 gateway/ha/vrrp_net.h
gateway/ha/vrrp_net.h:
