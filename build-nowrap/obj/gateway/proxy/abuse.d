build-nowrap/obj/gateway/proxy/abuse.o: gateway/proxy/abuse.c \
 gateway/proxy/abuse.h common/parse.h
gateway/proxy/abuse.h:
common/parse.h:
