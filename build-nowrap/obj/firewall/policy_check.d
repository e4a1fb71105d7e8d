build-nowrap/obj/firewall/policy_check.o: firewall/policy_check.c \
 firewall/policy.h common/parse.h
firewall/policy.h:
common/parse.h:
