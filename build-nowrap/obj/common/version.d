build-nowrap/obj/common/version.o: common/version.c common/version.h
common/version.h:
