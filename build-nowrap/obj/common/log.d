build-nowrap/obj/common/log.o: common/log.c common/log.h common/strbuf.h
common/log.h:
common/strbuf.h:
