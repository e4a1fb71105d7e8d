/* Polling a condition on real time, on a running loop or by sleeping (see t_wait.h). */
#include "tests/unit/helpers/t_wait.h"

#include <time.h>

struct t_wait {
    struct loop_timer poll;
    t_wait_cond cond;
    void *arg;
    uint64_t until_ms;
    bool met;
};

static uint64_t t_wait_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void t_wait_on_poll(struct loop *loop, struct loop_timer *t)
{
    struct t_wait *w = t->arg;
    w->met = w->cond && w->cond(w->arg);
    if (w->met || t_wait_now_ms() >= w->until_ms) {
        loop_stop(loop);
        return;
    }
    loop_timer_set(loop, t, T_WAIT_POLL_MS);
}

bool t_wait_loop(struct loop *loop, t_wait_cond cond, void *arg, uint64_t max_ms)
{
    if (cond && cond(arg))
        return true;
    struct t_wait w = {.cond = cond, .arg = arg, .until_ms = t_wait_now_ms() + max_ms};
    w.poll = (struct loop_timer){.fn = t_wait_on_poll, .arg = &w};
    loop_timer_set(loop, &w.poll, T_WAIT_POLL_MS);
    loop_run(loop);
    loop_timer_clear(loop, &w.poll);
    return w.met;
}

void t_wait_run_for(struct loop *loop, uint64_t ms)
{
    t_wait_loop(loop, NULL, NULL, ms);
}

bool t_wait_sleep(t_wait_cond cond, void *arg, uint64_t max_ms)
{
    uint64_t until = t_wait_now_ms() + max_ms;
    for (;;) {
        if (cond(arg))
            return true;
        if (t_wait_now_ms() >= until)
            return false;
        struct timespec ts = {0, T_WAIT_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
}
