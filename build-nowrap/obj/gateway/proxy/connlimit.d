build-nowrap/obj/gateway/proxy/connlimit.o: gateway/proxy/connlimit.c \
 gateway/proxy/connlimit.h
gateway/proxy/connlimit.h:
