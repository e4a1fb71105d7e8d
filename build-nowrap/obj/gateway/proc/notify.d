build-nowrap/obj/gateway/proc/notify.o: gateway/proc/notify.c \
 gateway/proc/notify.h
gateway/proc/notify.h:
