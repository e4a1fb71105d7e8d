build-nowrap/obj/firewall/status.o: firewall/status.c firewall/firewall.h \
 firewall/policy.h common/parse.h firewall/decompile.h firewall/ruleset.h \
 firewall/nl.h
firewall/firewall.h:
firewall/policy.h:
common/parse.h:
firewall/decompile.h:
firewall/ruleset.h:
firewall/nl.h:
