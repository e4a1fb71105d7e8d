build-nowrap/obj/common/ratelimit.o: common/ratelimit.c \
 common/ratelimit.h
common/ratelimit.h:
