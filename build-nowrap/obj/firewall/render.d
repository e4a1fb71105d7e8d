build-nowrap/obj/firewall/render.o: firewall/render.c firewall/render.h \
 firewall/ruleset.h firewall/policy.h common/parse.h
firewall/render.h:
firewall/ruleset.h:
firewall/policy.h:
common/parse.h:
