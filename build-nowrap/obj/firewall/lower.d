build-nowrap/obj/firewall/lower.o: firewall/lower.c firewall/ruleset.h \
 firewall/policy.h common/parse.h firewall/lower_internal.h
firewall/ruleset.h:
firewall/policy.h:
common/parse.h:
firewall/lower_internal.h:
