build-nowrap/obj/gateway/http/http_rules.o: gateway/http/http_rules.c \
 gateway/http/http_rules.h gateway/http/http_parse.h common/strbuf.h
gateway/http/http_rules.h:
gateway/http/http_parse.h:
common/strbuf.h:
