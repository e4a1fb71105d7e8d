build-nowrap/obj/firewall/policy_parse.o: firewall/policy_parse.c \
 firewall/policy_values.h firewall/policy.h common/parse.h
firewall/policy_values.h:
firewall/policy.h:
common/parse.h:
