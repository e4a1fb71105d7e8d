build-nowrap/obj/gateway/ha/vrrp.o: gateway/ha/vrrp.c gateway/ha/vrrp.h
gateway/ha/vrrp.h:
