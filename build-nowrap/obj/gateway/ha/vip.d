build-nowrap/obj/gateway/ha/vip.o: gateway/ha/vip.c gateway/ha/vip.h \
 common/parse.h
gateway/ha/vip.h:
common/parse.h:
