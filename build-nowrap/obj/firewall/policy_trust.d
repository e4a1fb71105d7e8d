build-nowrap/obj/firewall/policy_trust.o: firewall/policy_trust.c \
 firewall/policy.h common/parse.h
firewall/policy.h:
common/parse.h:
