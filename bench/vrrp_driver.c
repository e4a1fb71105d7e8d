/*
 * vrrp_driver: runs the VRRP instances of a config (gateway/ha/vrrp_set.c)
 * on an event loop, for the integration tests and the failover bench while
 * the daemon's parent process is elsewhere. It uses the same calls as the
 * parent: vrrp_set_start / _relay_lost / _backends_up / _leave / _free.
 *
 *   vrrp_driver -c RAMPART_INI [-s STATS_FILE]     its [vrrp] and [vrrp NAME] sections
 *   vrrp_driver -i IF -v VRID -p PRIO -a ADVERT_CS -V VIP/LEN [-V ...]
 *               [-n] [-d PREEMPT_DELAY_MS] [-u PEER]... [-g GARP_COUNT]
 *               [-G GARP_INTERVAL_MS] [-R GARP_REPEAT_DELAY_MS] [-r GARP_REFRESH_MS]
 *               [-B] [-s STATS_FILE]                one instance ([vrrp]); IPv6 if its VIPs are
 *
 * -B: no gratuitous ARPs / NAs on a winner's behalf (garp_on_behalf = no).
 *
 * Signals: TERM/INT stop (priority 0 sent), USR1 relay lost, USR2 relay
 * back, HUP writes the counters to STATS_FILE, SIGRTMIN / SIGRTMIN+1 report
 * 0 / 2 backends up, SIGRTMIN+2 dies as a parent killed under its guard:
 * the instances are described, abandoned without a word, and taken down
 * from the descriptions alone (vrrp_node_desc_stand_down), then exit.
 *
 * STATS_FILE: "KEY VALUE" lines; with named instances each key starts with
 * "NAME." ([vrrp]'s have no prefix).
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -I. bench/vrrp_driver.c build/librampart.a -lmnl -linih
 */
#include "gateway/config/config.h"
#include "gateway/event/loop.h"
#include "gateway/ha/vrrp_net.h"
#include "gateway/ha/vrrp_set.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct driver {
    struct vrrp_set *set;
    const char *stats_path;
    struct loop_io sig_io;
};

static void write_node(FILE *fp, const struct vrrp_node *n)
{
    const char *p = vrrp_node_name(n);
    const char *dot = p[0] ? "." : "";
    const struct vrrp_net_stats *s = vrrp_node_stats(n);
    uint64_t ours, behalf;
    vrrp_node_announced(n, &ours, &behalf);
    fprintf(fp, "%s%sstate %s\n%s%spriority %u\n", p, dot, vrrp_node_state_name(n), p, dot,
            vrrp_node_priority(n));
    fprintf(fp, "%s%srx %llu\n%s%srx_ok %llu\n%s%stx %llu\n", p, dot, (unsigned long long)s->rx, p, dot,
            (unsigned long long)s->rx_ok, p, dot, (unsigned long long)s->tx);
    fprintf(fp, "%s%sannounced %llu\n%s%sannounced_behalf %llu\n", p, dot, (unsigned long long)ours, p, dot,
            (unsigned long long)behalf);
    for (int i = 0; i < VRRP_DROP_COUNT; i++)
        fprintf(fp, "%s%sdrop_%s %llu\n", p, dot, vrrp_drop_name(i), (unsigned long long)s->drops[i]);
}

static void write_stats(const struct driver *d)
{
    if (!d->stats_path)
        return;
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", d->stats_path);
    FILE *fp = fopen(tmp, "w");
    if (!fp)
        return;
    for (unsigned i = 0; i < vrrp_set_count(d->set); i++)
        write_node(fp, vrrp_set_node(d->set, i));
    fclose(fp);
    rename(tmp, d->stats_path);
}

/* A parent killed with SIGKILL, under the guard the design plans: nothing
 * of the instances runs any more, and another process takes them down from
 * the descriptions alone. */
static void crash_under_guard(struct driver *d)
{
    struct vrrp_node_desc desc[CONFIG_MAX_VRRP_INSTANCES];
    unsigned n = vrrp_set_describe(d->set, desc, CONFIG_MAX_VRRP_INSTANCES);
    for (unsigned i = 0; i < n; i++) {
        char err[256];
        if (vrrp_node_desc_stand_down(&desc[i], err, sizeof err) < 0)
            fprintf(stderr, "vrrp_driver: stand down from the description: %s\n", err);
    }
    _exit(0); /* no vrrp_set_leave: the instances never say goodbye themselves */
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
            vrrp_set_leave(d->set);
            loop_stop(loop);
            return;
        }
        if (sig == SIGRTMIN + 2)
            crash_under_guard(d);
        if (sig == SIGUSR1)
            vrrp_set_relay_lost(d->set);
        else if (sig == SIGUSR2)
            vrrp_set_relay_back(d->set);
        else if (sig == SIGRTMIN)
            vrrp_set_backends_up(d->set, 0);
        else if (sig == SIGRTMIN + 1)
            vrrp_set_backends_up(d->set, 2);
        write_stats(d);
    }
}

/* The VRRP instances of a whole rampart.ini, read by the daemon's reader. */
static int load_file(const char *path, struct config *out)
{
    struct config_errors errors;
    struct config *cfg = config_load(path, &errors);
    if (!cfg) {
        config_errors_print(&errors, stderr);
        return -1;
    }
    memcpy(out->vrrp, cfg->vrrp, sizeof out->vrrp);
    out->n_vrrp = cfg->n_vrrp;
    config_free(cfg);
    return 0;
}

/* "198.18.0.10/24": an address and the length of its subnet, as in rampart.ini. */
static int parse_vip(char *text, struct ip_prefix *p, char *why)
{
    char *slash = strchr(text, '/');
    long long len = -1;
    if (slash) {
        *slash = '\0';
        if (parse_int_range(slash + 1, 0, 128, &len, why) < 0)
            return -1;
    }
    if (parse_ip(text, &p->addr, why) < 0)
        return -1;
    p->len = len >= 0 ? (unsigned)len : p->addr.family == AF_INET6 ? 128 : 32;
    return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg, const char **stats)
{
    char why[PARSE_WHY_MAX];
    struct config_vrrp *v = &cfg->vrrp[0];
    int opt;
    while ((opt = getopt(argc, argv, "c:i:v:p:a:V:nd:u:g:G:R:r:Bs:")) != -1) {
        switch (opt) {
        case 'c':
            if (load_file(optarg, cfg) < 0)
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
        case 'R': v->garp_repeat_delay_ms = strtoull(optarg, NULL, 10); break;
        case 'r': v->garp_refresh_ms = strtoull(optarg, NULL, 10); break;
        case 'B': v->garp_on_behalf = false; break;
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
    config_vrrp_defaults(&cfg.vrrp[0], ""); /* the command line's instance: rampart.ini's defaults */
    cfg.vrrp[0].enabled = true;
    cfg.n_vrrp = 1;
    struct driver d = {0};
    if (parse_args(argc, argv, &cfg, &d.stats_path) < 0)
        return 2;
    sigset_t set;
    sigemptyset(&set);
    int sigs[] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 2};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct loop *loop = loop_new();
    d.sig_io =
        (struct loop_io){.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC), .fn = on_signal, .arg = &d};
    if (!loop || d.sig_io.fd < 0 || loop_watch(loop, &d.sig_io, LOOP_READ) < 0)
        return 1;
    bool failed;
    d.set = vrrp_set_start(loop, &cfg, &failed);
    if (!d.set)
        return 1;
    /* the parent's first settled backend report (a relay's first checks):
     * until then a node is penalised as if no backend were up */
    vrrp_set_backends_up(d.set, 2);
    write_stats(&d);
    int rc = loop_run(loop);
    vrrp_set_free(d.set);
    loop_unwatch(loop, &d.sig_io);
    close(d.sig_io.fd);
    loop_free(loop);
    return rc ? 1 : 0;
}
