build-nowrap/obj/gateway/proc/sandbox.o: gateway/proc/sandbox.c \
 gateway/proc/sandbox.h gateway/proc/sandbox_internal.h
gateway/proc/sandbox.h:
gateway/proc/sandbox_internal.h:
