build-nowrap/obj/firewall/watch.o: firewall/watch.c firewall/firewall.h \
 firewall/policy.h common/parse.h firewall/ruleset.h
firewall/firewall.h:
firewall/policy.h:
common/parse.h:
firewall/ruleset.h:
