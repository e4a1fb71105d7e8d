build-nowrap/obj/common/strbuf.o: common/strbuf.c common/strbuf.h
common/strbuf.h:
