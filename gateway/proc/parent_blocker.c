/*
 * parent_blocker: the parent's firewall thread. See parent_blocker.h.
 */
#include "gateway/proc/parent_blocker.h"

#include "common/log.h"
#include "firewall/firewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(PARENT_BLOCKER_COUNTERS == FW_STATUS_MAX_COUNTERS, "every counter read is kept");
_Static_assert(PARENT_BLOCKER_NAME_MAX == FW_COUNTER_NAME_MAX, "counter names fit");

struct blocker_entry {
    struct ip_addr addr;
    uint64_t timeout_ms;
    unsigned threshold;
};

struct parent_blocker {
    pthread_t thread;
    pthread_mutex_t mu; /* everything below */
    pthread_cond_t cv;
    pthread_mutex_t fw_mu; /* one netlink conversation at a time: a block, a read, an apply */
    bool stop, reading;
    struct blocker_entry queue[PARENT_BLOCKER_QUEUE_MAX];
    unsigned head, len;
    struct parent_blocker_results results;
    struct fw_blocker *fw; /* the thread's */
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Takes up to FW_BLOCK_BATCH_MAX queued entries of one timeout (under mu). */
static unsigned take_batch(struct parent_blocker *b, struct blocker_entry *out)
{
    unsigned n = 0;
    while (b->len > 0 && n < FW_BLOCK_BATCH_MAX) {
        const struct blocker_entry *e = &b->queue[b->head];
        if (n > 0 && e->timeout_ms != out[0].timeout_ms)
            break; /* a reload changed the timeout: the rest go in the next batch */
        out[n++] = *e;
        b->head = (b->head + 1) % PARENT_BLOCKER_QUEUE_MAX;
        b->len--;
    }
    return n;
}

static void log_block(const struct blocker_entry *e)
{
    char a[INET6_ADDRSTRLEN], timeout[24], threshold[16];
    format_ip(&e->addr, a, sizeof a);
    snprintf(timeout, sizeof timeout, "%llums", (unsigned long long)e->timeout_ms);
    snprintf(threshold, sizeof threshold, "%u", e->threshold);
    log_event(LOG_LEVEL_WARN, "autoblock", "client", a, "timeout", timeout, "threshold", threshold, LOG_END);
}

/* One transaction for the batch, outside mu. */
static void commit_batch(struct parent_blocker *b, const struct blocker_entry *batch, unsigned n)
{
    struct ip_addr addrs[FW_BLOCK_BATCH_MAX];
    char err[FW_ERR_MAX] = "";
    for (unsigned i = 0; i < n; i++)
        addrs[i] = batch[i].addr;
    pthread_mutex_lock(&b->fw_mu);
    int rc = fw_blocker_block(b->fw, addrs, n, batch[0].timeout_ms, err);
    pthread_mutex_unlock(&b->fw_mu);
    if (rc < 0) {
        char count[16];
        snprintf(count, sizeof count, "%u", n);
        log_event(LOG_LEVEL_ERROR, "autoblock_failed", "addresses", count, "reason", err, LOG_END);
    } else {
        for (unsigned i = 0; i < n; i++)
            log_block(&batch[i]);
    }
    pthread_mutex_lock(&b->mu);
    if (rc < 0)
        b->results.failures += n;
    else
        b->results.blocks += n, b->results.transactions++;
    pthread_mutex_unlock(&b->mu);
}

static void read_status(struct parent_blocker *b)
{
    struct fw_status st;
    char err[FW_ERR_MAX];
    pthread_mutex_lock(&b->fw_mu);
    int rc = fw_blocker_status(b->fw, &st, err);
    pthread_mutex_unlock(&b->fw_mu);
    if (rc < 0)
        return; /* keep the last values; the next read may succeed */
    pthread_mutex_lock(&b->mu);
    struct parent_blocker_results *r = &b->results;
    r->n_drops = st.n_drops < PARENT_BLOCKER_COUNTERS ? st.n_drops : PARENT_BLOCKER_COUNTERS;
    for (unsigned i = 0; i < r->n_drops; i++) {
        memcpy(r->drops[i].name, st.drops[i].name, sizeof r->drops[i].name);
        r->drops[i].packets = st.drops[i].packets;
        r->drops[i].bytes = st.drops[i].bytes;
    }
    r->blocked = st.blocked;
    r->have_status = true;
    pthread_mutex_unlock(&b->mu);
}

/* Sleeps on cv until `deadline_ms` (monotonic) or a signal (under mu). */
static void wait_until(struct parent_blocker *b, uint64_t deadline_ms)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline_ms / 1000),
                          .tv_nsec = (long)(deadline_ms % 1000) * 1000000};
    pthread_cond_timedwait(&b->cv, &b->mu, &ts);
}

static void *blocker_main(void *arg)
{
    struct parent_blocker *b = arg;
    struct blocker_entry batch[FW_BLOCK_BATCH_MAX];
    uint64_t next_read = 0;
    pthread_setname_np(pthread_self(), "rampart-fw"); /* what ps -T shows */
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        unsigned n = take_batch(b, batch);
        if (n > 0) {
            pthread_mutex_unlock(&b->mu);
            commit_batch(b, batch, n);
            pthread_mutex_lock(&b->mu);
            continue;
        }
        uint64_t now = mono_ms();
        if (b->reading && now >= next_read) {
            pthread_mutex_unlock(&b->mu);
            read_status(b);
            next_read = mono_ms() + PARENT_BLOCKER_STATUS_MS;
            pthread_mutex_lock(&b->mu);
            continue;
        }
        wait_until(b, b->reading ? next_read : now + PARENT_BLOCKER_STATUS_MS);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

static int init_sync(struct parent_blocker *b)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    rc |= pthread_cond_init(&b->cv, &ca);
    pthread_condattr_destroy(&ca);
    rc |= pthread_mutex_init(&b->mu, NULL);
    rc |= pthread_mutex_init(&b->fw_mu, NULL);
    return rc ? -1 : 0;
}

struct parent_blocker *parent_blocker_start(char *err, size_t err_len)
{
    struct parent_blocker *b = calloc(1, sizeof *b);
    if (!b || !(b->fw = fw_blocker_new()) || init_sync(b) < 0) {
        snprintf(err, err_len, "firewall thread: out of memory");
        goto fail;
    }
    int rc = pthread_create(&b->thread, NULL, blocker_main, b);
    if (rc != 0) {
        snprintf(err, err_len, "firewall thread: %s", strerror(rc));
        goto fail;
    }
    return b;
fail:
    if (b)
        fw_blocker_free(b->fw);
    free(b);
    return NULL;
}

void parent_blocker_stop(struct parent_blocker *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->stop = true;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    fw_blocker_free(b->fw);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    pthread_mutex_destroy(&b->fw_mu);
    free(b);
}

bool parent_blocker_block(struct parent_blocker *b, const struct ip_addr *addr, uint64_t timeout_ms,
                          unsigned threshold)
{
    pthread_mutex_lock(&b->mu);
    bool room = b->len < PARENT_BLOCKER_QUEUE_MAX;
    if (room) {
        b->queue[(b->head + b->len) % PARENT_BLOCKER_QUEUE_MAX] =
            (struct blocker_entry){.addr = *addr, .timeout_ms = timeout_ms, .threshold = threshold};
        b->len++;
        pthread_cond_signal(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    return room;
}

unsigned parent_blocker_queued(struct parent_blocker *b)
{
    pthread_mutex_lock(&b->mu);
    unsigned n = b->len;
    pthread_mutex_unlock(&b->mu);
    return n;
}

void parent_blocker_set_reading(struct parent_blocker *b, bool reading)
{
    pthread_mutex_lock(&b->mu);
    b->reading = reading;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

void parent_blocker_results(struct parent_blocker *b, struct parent_blocker_results *out)
{
    pthread_mutex_lock(&b->mu);
    *out = b->results;
    pthread_mutex_unlock(&b->mu);
}

void parent_blocker_lock(struct parent_blocker *b)
{
    if (b)
        pthread_mutex_lock(&b->fw_mu);
}

void parent_blocker_unlock(struct parent_blocker *b)
{
    if (b)
        pthread_mutex_unlock(&b->fw_mu);
}
