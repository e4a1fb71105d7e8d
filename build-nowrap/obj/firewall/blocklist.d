build-nowrap/obj/firewall/blocklist.o: firewall/blocklist.c \
 firewall/firewall.h firewall/policy.h common/parse.h \
 firewall/decompile.h firewall/ruleset.h firewall/nl.h firewall/render.h
firewall/firewall.h:
firewall/policy.h:
common/parse.h:
firewall/decompile.h:
firewall/ruleset.h:
firewall/nl.h:
firewall/render.h:
