build-nowrap/obj/firewall/confirm.o: firewall/confirm.c \
 firewall/confirm.h firewall/firewall.h firewall/policy.h common/parse.h \
 firewall/compile.h firewall/nl.h firewall/ruleset.h firewall/decompile.h
firewall/confirm.h:
firewall/firewall.h:
firewall/policy.h:
common/parse.h:
firewall/compile.h:
firewall/nl.h:
firewall/ruleset.h:
firewall/decompile.h:
