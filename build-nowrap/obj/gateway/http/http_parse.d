build-nowrap/obj/gateway/http/http_parse.o: gateway/http/http_parse.c \
 gateway/http/http_parse.h
gateway/http/http_parse.h:
