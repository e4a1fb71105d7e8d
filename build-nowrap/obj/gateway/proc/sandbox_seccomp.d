build-nowrap/obj/gateway/proc/sandbox_seccomp.o: \
 gateway/proc/sandbox_seccomp.c gateway/proc/sandbox.h \
 gateway/proc/sandbox_internal.h
gateway/proc/sandbox.h:
gateway/proc/sandbox_internal.h:
