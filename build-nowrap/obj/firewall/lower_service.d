build-nowrap/obj/firewall/lower_service.o: firewall/lower_service.c \
 firewall/lower_internal.h firewall/ruleset.h firewall/policy.h \
 common/parse.h
firewall/lower_internal.h:
firewall/ruleset.h:
firewall/policy.h:
common/parse.h:
