/*
 * vrrp_driver: runs one VRRP node (gateway/ha/vrrp_node.c) on an event loop,
 * configured from the command line, for the integration tests and the
 * failover bench while the daemon's parent process is elsewhere. It uses the
 * same calls as the parent: vrrp_node_start / _relay_lost / _leave / _shutdown.
 *
 *   vrrp_driver -c RAMPART_INI [-s STATS_FILE]     its [vrrp] section
 *   vrrp_driver -i IF -v VRID -p PRIO -a ADVERT_CS -V VIP/LEN [-V ...]
 *               [-n] [-d PREEMPT_DELAY_MS] [-u PEER]... [-g GARP_COUNT]
 *               [-G GARP_INTERVAL_MS] [-r GARP_REFRESH_MS] [-s STATS_FILE]
 *
 * Signals: TERM/INT stop (priority 0 sent), USR1 relay lost, USR2 relay
 * back, HUP writes the counters to STATS_FILE, SIGRTMIN / SIGRTMIN+1 report
 * 0 / 2 backends up.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -I. bench/vrrp_driver.c build/librampart.a -lmnl -linih
 */
#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/ha/vrrp_net.h"
#include "gateway/ha/vrrp_node.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct driver {
    struct vrrp_node *node;
    const char *stats_path;
    struct loop_io sig_io;
};

static void write_stats(const struct driver *d)
{
    if (!d->stats_path)
        return;
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", d->stats_path);
    FILE *fp = fopen(tmp, "w");
    if (!fp)
        return;
    const struct vrrp_net_stats *s = vrrp_node_stats(d->node);
    fprintf(fp, "state %s\npriority %u\n", vrrp_node_state_name(d->node), vrrp_node_priority(d->node));
    if (s) {
        fprintf(fp, "rx %llu\nrx_ok %llu\ntx %llu\n", (unsigned long long)s->rx, (unsigned long long)s->rx_ok,
                (unsigned long long)s->tx);
        for (int i = 0; i < VRRP_DROP_COUNT; i++)
            fprintf(fp, "drop_%s %llu\n", vrrp_drop_name(i), (unsigned long long)s->drops[i]);
    }
    fclose(fp);
    rename(tmp, d->stats_path);
}

static void on_signal(struct loop *loop, struct loop_io *io, unsigned events)
{
    (void)events;
    struct driver *d = io->arg;
    struct signalfd_siginfo si;
    while (read(io->fd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGTERM || sig == SIGINT) { /* as the parent does: leave at once */
            write_stats(d);
            vrrp_node_leave(d->node);
            loop_stop(loop);
            return;
        }
        if (sig == SIGUSR1)
            vrrp_node_relay_lost(d->node);
        else if (sig == SIGUSR2)
            vrrp_node_relay_back(d->node);
        else if (sig == SIGRTMIN)
            vrrp_node_backends_up(d->node, 0);
        else if (sig == SIGRTMIN + 1)
            vrrp_node_backends_up(d->node, 2);
        write_stats(d);
    }
}

/* The [vrrp] section of a whole rampart.ini, read by the daemon's reader. */
static int load_file(const char *path, struct config_vrrp *v)
{
    struct config_errors errors;
    struct config *cfg = config_load(path, &errors);
    if (!cfg) {
        config_errors_print(&errors, stderr);
        return -1;
    }
    *v = cfg->vrrp;
    config_free(cfg);
    return 0;
}

/* "198.18.0.10/24": an address and the length of its subnet, as in rampart.ini. */
static int parse_vip(char *text, struct ip_prefix *p, char *why)
{
    char *slash = strchr(text, '/');
    long long len = 32;
    if (slash) {
        *slash = '\0';
        if (parse_int_range(slash + 1, 0, 32, &len, why) < 0)
            return -1;
    }
    p->len = (unsigned)len;
    return parse_ip(text, &p->addr, why);
}

static int parse_args(int argc, char **argv, struct config_vrrp *v, const char **stats)
{
    char why[PARSE_WHY_MAX];
    int opt;
    while ((opt = getopt(argc, argv, "c:i:v:p:a:V:nd:u:g:G:r:s:")) != -1) {
        switch (opt) {
        case 'c':
            if (load_file(optarg, v) < 0)
                return -1;
            break;
        case 'i': snprintf(v->interface, sizeof v->interface, "%s", optarg); break;
        case 'v': v->vrid = (unsigned)atoi(optarg); break;
        case 'p': v->priority = (unsigned)atoi(optarg); break;
        case 'a': v->advert_interval_cs = (unsigned)atoi(optarg); break;
        case 'n': v->preempt = false; break;
        case 'd': v->preempt_delay_ms = strtoull(optarg, NULL, 10); break;
        case 'g': v->garp_count = (unsigned)atoi(optarg); break;
        case 'G': v->garp_interval_ms = strtoull(optarg, NULL, 10); break;
        case 'r': v->garp_refresh_ms = strtoull(optarg, NULL, 10); break;
        case 's': *stats = optarg; break;
        case 'V':
            if (v->n_vips == CONFIG_MAX_VIPS || parse_vip(optarg, &v->vips[v->n_vips++], why) < 0)
                return fprintf(stderr, "vrrp_driver: -V %s: %s\n", optarg, why), -1;
            break;
        case 'u':
            if (v->n_unicast_peers == CONFIG_MAX_PEERS ||
                parse_ip(optarg, &v->unicast_peers[v->n_unicast_peers++], why) < 0)
                return fprintf(stderr, "vrrp_driver: -u %s: %s\n", optarg, why), -1;
            break;
        default: return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct config cfg;
    config_defaults(&cfg);
    struct config_vrrp *v = &cfg.vrrp;
    v->enabled = true; /* the rest: rampart.ini's defaults */
    struct driver d = {0};
    if (parse_args(argc, argv, v, &d.stats_path) < 0)
        return 2;
    sigset_t set;
    sigemptyset(&set);
    int sigs[] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGRTMIN, SIGRTMIN + 1};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct loop *loop = loop_new();
    d.sig_io =
        (struct loop_io){.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC), .fn = on_signal, .arg = &d};
    if (!loop || d.sig_io.fd < 0 || loop_watch(loop, &d.sig_io, LOOP_READ) < 0)
        return 1;
    bool failed;
    d.node = vrrp_node_start(loop, &cfg, &failed);
    if (!d.node)
        return 1;
    /* the parent's first settled backend report (a relay's first checks):
     * until then a node is penalised as if no backend were up */
    vrrp_node_backends_up(d.node, 2);
    write_stats(&d);
    int rc = loop_run(loop);
    vrrp_node_shutdown(d.node);
    loop_unwatch(loop, &d.sig_io);
    close(d.sig_io.fd);
    loop_free(loop);
    return rc ? 1 : 0;
}
