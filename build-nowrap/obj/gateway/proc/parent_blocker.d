build-nowrap/obj/gateway/proc/parent_blocker.o: \
 gateway/proc/parent_blocker.c gateway/proc/parent_blocker.h \
 common/parse.h common/log.h firewall/firewall.h firewall/policy.h
gateway/proc/parent_blocker.h:
common/parse.h:
common/log.h:
firewall/firewall.h:
firewall/policy.h:
