build-nowrap/obj/gateway/proc/parent.o: gateway/proc/parent.c \
 gateway/proc/parent.h gateway/config/config.h common/log.h \
 common/parse.h tls/tls_config.h gateway/admin/admin.h \
 gateway/admin/status.h gateway/event/loop.h gateway/proc/instance.h \
 gateway/proc/guard.h gateway/proc/listener.h gateway/proxy/worker.h \
 gateway/upstream/backend.h gateway/proc/notify.h \
 gateway/proc/parent_firewall.h common/ratelimit.h gateway/proc/protect.h \
 gateway/proc/parent_peer.h gateway/ha/peer_blocklist.h \
 gateway/ha/peer_proto.h tls/tls.h gateway/proc/parent_tickets.h \
 gateway/ha/peer_keys.h gateway/proc/relay_proc.h gateway/proc/ipc.h \
 gateway/proc/relay.h gateway/proc/sandbox.h gateway/proc/supervise.h \
 gateway/ha/vrrp_net.h gateway/ha/vrrp_node.h
gateway/proc/parent.h:
gateway/config/config.h:
common/log.h:
common/parse.h:
tls/tls_config.h:
gateway/admin/admin.h:
gateway/admin/status.h:
gateway/event/loop.h:
gateway/proc/instance.h:
gateway/proc/guard.h:
gateway/proc/listener.h:
gateway/proxy/worker.h:
gateway/upstream/backend.h:
gateway/proc/notify.h:
gateway/proc/parent_firewall.h:
common/ratelimit.h:
gateway/proc/protect.h:
gateway/proc/parent_peer.h:
gateway/ha/peer_blocklist.h:
gateway/ha/peer_proto.h:
tls/tls.h:
gateway/proc/parent_tickets.h:
gateway/ha/peer_keys.h:
gateway/proc/relay_proc.h:
gateway/proc/ipc.h:
gateway/proc/relay.h:
gateway/proc/sandbox.h:
gateway/proc/supervise.h:
gateway/ha/vrrp_net.h:
gateway/ha/vrrp_node.h:
