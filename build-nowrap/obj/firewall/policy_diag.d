build-nowrap/obj/firewall/policy_diag.o: firewall/policy_diag.c \
 firewall/policy.h common/parse.h
firewall/policy.h:
common/parse.h:
