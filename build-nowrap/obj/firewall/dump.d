build-nowrap/obj/firewall/dump.o: firewall/dump.c firewall/decompile.h \
 firewall/ruleset.h firewall/policy.h common/parse.h firewall/nl.h
firewall/decompile.h:
firewall/ruleset.h:
firewall/policy.h:
common/parse.h:
firewall/nl.h:
