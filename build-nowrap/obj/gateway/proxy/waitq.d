build-nowrap/obj/gateway/proxy/waitq.o: gateway/proxy/waitq.c \
 gateway/proxy/waitq.h
gateway/proxy/waitq.h:
