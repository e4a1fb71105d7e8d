build-nowrap/obj/firewall/firewall.o: firewall/firewall.c \
 firewall/firewall.h firewall/policy.h common/parse.h firewall/compile.h \
 firewall/nl.h firewall/ruleset.h firewall/decompile.h
firewall/firewall.h:
firewall/policy.h:
common/parse.h:
firewall/compile.h:
firewall/nl.h:
firewall/ruleset.h:
firewall/decompile.h:
