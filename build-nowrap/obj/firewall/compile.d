build-nowrap/obj/firewall/compile.o: firewall/compile.c \
 firewall/compile.h firewall/nl.h firewall/ruleset.h firewall/policy.h \
 common/parse.h
firewall/compile.h:
firewall/nl.h:
firewall/ruleset.h:
firewall/policy.h:
common/parse.h:
