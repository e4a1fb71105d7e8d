build-nowrap/obj/firewall/diff.o: firewall/diff.c firewall/diff.h \
 firewall/ruleset.h firewall/policy.h common/parse.h firewall/decompile.h \
 firewall/render.h
firewall/diff.h:
firewall/ruleset.h:
firewall/policy.h:
common/parse.h:
firewall/decompile.h:
firewall/render.h:
