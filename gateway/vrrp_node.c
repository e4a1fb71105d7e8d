/* Placeholder until VRRP lands: VRRP disabled. */
#include "gateway/vrrp_node.h"

#include <stddef.h>

struct vrrp_node *vrrp_node_start(struct loop *loop, const struct config *cfg, bool *failed)
{
    (void)loop;
    *failed = cfg->vrrp.enabled;
    return NULL;
}
void vrrp_node_backends_up(struct vrrp_node *node, unsigned n_up) { (void)node, (void)n_up; }
void vrrp_node_relay_lost(struct vrrp_node *node) { (void)node; }
void vrrp_node_relay_back(struct vrrp_node *node) { (void)node; }
void vrrp_node_shutdown(struct vrrp_node *node) { (void)node; }
const char *vrrp_node_state_name(const struct vrrp_node *node) { (void)node; return "disabled"; }
