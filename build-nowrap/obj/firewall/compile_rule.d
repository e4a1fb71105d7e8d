build-nowrap/obj/firewall/compile_rule.o: firewall/compile_rule.c \
 firewall/compile.h firewall/nl.h firewall/ruleset.h firewall/policy.h \
 common/parse.h
firewall/compile.h:
firewall/nl.h:
firewall/ruleset.h:
firewall/policy.h:
common/parse.h:
