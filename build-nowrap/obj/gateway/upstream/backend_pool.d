build-nowrap/obj/gateway/upstream/backend_pool.o: \
 gateway/upstream/backend_pool.c gateway/upstream/backend_pool.h \
 gateway/event/loop.h
gateway/upstream/backend_pool.h:
gateway/event/loop.h:
