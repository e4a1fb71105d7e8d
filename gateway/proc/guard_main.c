/*
 * guard_main: the guard process (`rampart --guard`, exec'd by the parent).
 * See guard.h: it waits on the pipe, keeps the last checked state, and
 * when the pipe ends without EXIT, takes every instance down and exits.
 */
#include "gateway/proc/guard.h"

#include "common/log.h"
#include "gateway/proc/sandbox.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void stand_down(const struct vrrp_node_desc *d)
{
    char err[256], vrid[8];
    snprintf(vrid, sizeof vrid, "%u", d->vrid);
    int rc = vrrp_node_desc_stand_down(d, err, sizeof err);
    log_event(rc ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, "guard_stood_down", "instance",
              d->name[0] ? d->name : "vrrp", "vrid", vrid, "interface", d->interface, "priority0",
              d->master && d->have_source ? "sent" : "not master", "vips", "removed", rc ? "error" : LOG_END,
              err, LOG_END);
}

/* One message from the pipe: 1 kept (or refused), 0 the pipe ended (EOF,
 * or it failed: either way the parent is not there to write), -1 EXIT. */
static int read_one(struct guard_msg *state, bool *have)
{
    static struct guard_msg m;
    ssize_t n = read(GUARD_PIPE_FD, &m, sizeof m);
    if (n < 0 && errno == EINTR)
        return 1;
    if (n <= 0)
        return 0;
    const char *why;
    if (guard_msg_check(&m, (size_t)n, &why) < 0) {
        log_event(LOG_LEVEL_ERROR, "guard_message_refused", "reason", why, "effect", "the last state is kept",
                  LOG_END);
        return 1;
    }
    if (m.kind == GUARD_MSG_EXIT)
        return -1;
    *state = m;
    *have = true;
    return 1;
}

int guard_main(void)
{
    log_setup(LOG_FORMAT_PLAIN, 2, LOG_LEVEL_INFO, "guard");
    prctl(PR_SET_NAME, "rampart-guard");
    char err[256];
    if (sandbox_guard_seccomp(err, sizeof err) < 0) {
        log_event(LOG_LEVEL_ERROR, "guard_failed", "reason", err, LOG_END);
        return 1;
    }
    static struct guard_msg state;
    bool have = false;
    int rc;
    do {
        struct pollfd p = {.fd = GUARD_PIPE_FD, .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            return 1;
        rc = read_one(&state, &have);
    } while (rc > 0);
    if (rc < 0)
        return 0; /* a clean shutdown: the parent left VRRP itself */
    log_event(LOG_LEVEL_WARN, "guard_parent_gone", "effect", "standing down every VRRP instance", LOG_END);
    for (unsigned i = 0; have && i < state.n; i++)
        stand_down(&state.inst[i]);
    return 0;
}
