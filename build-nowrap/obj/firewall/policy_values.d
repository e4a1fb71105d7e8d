build-nowrap/obj/firewall/policy_values.o: firewall/policy_values.c \
 firewall/policy_values.h firewall/policy.h common/parse.h
firewall/policy_values.h:
firewall/policy.h:
common/parse.h:
