build-nowrap/obj/firewall/decompile.o: firewall/decompile.c \
 firewall/decompile.h firewall/ruleset.h firewall/policy.h common/parse.h
firewall/decompile.h:
firewall/ruleset.h:
firewall/policy.h:
common/parse.h:
