build-nowrap/obj/gateway/event/loop.o: gateway/event/loop.c \
 gateway/event/loop.h
gateway/event/loop.h:
