/* Unit tests for gateway/proc/instance.c: the PID file lock, the VRRP
 * instance name and the listener probe it uses (gateway/proc/listener.c:
 * listener_probe, listener_overlaps), on 127.0.0.1 and an abstract unix
 * name of the test's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/proc/instance.h"
#include "gateway/proc/listener.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct config cfg;

static int setup(void **state)
{
    (void)state;
    config_defaults(&cfg);
    cfg.gateway.n_https = cfg.gateway.n_http = 0; /* no listener unless a test adds one */
    cfg.admin.enabled = false;
    return 0;
}

static void addr_of(struct listen_addr *la, const char *text)
{
    char why[PARSE_WHY_MAX];
    assert_int_equal(parse_sockaddr(text, &la->addr, &la->len, why), 0);
}

static bool overlaps(const char *a, const char *b)
{
    struct listen_addr x, y;
    addr_of(&x, a);
    addr_of(&y, b);
    return listener_overlaps(&x, &y);
}

static void test_overlaps(void **state)
{
    (void)state;
    assert_true(overlaps("127.0.0.1:443", "127.0.0.1:443"));
    assert_true(overlaps("0.0.0.0:443", "127.0.0.1:443"));
    assert_true(overlaps("127.0.0.1:443", "0.0.0.0:443"));
    assert_true(overlaps("[::]:443", "198.18.0.10:443")); /* dual-stack wildcard */
    assert_false(overlaps("127.0.0.1:443", "127.0.0.2:443"));
    assert_false(overlaps("127.0.0.1:443", "127.0.0.1:444"));
    assert_false(overlaps("0.0.0.0:443", "0.0.0.0:80"));
}

/* A listener with SO_REUSEPORT on a free port, as a running rampart has. */
static int listen_reuseport(struct listen_addr *la)
{
    char err[256];
    addr_of(la, "127.0.0.1:1");
    ((struct sockaddr_in *)&la->addr)->sin_port = 0; /* any free port */
    int fd = listener_open(la, err, sizeof err);
    assert_true(fd >= 0);
    la->len = sizeof la->addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&la->addr, &la->len), 0);
    return fd;
}

static void test_probe(void **state)
{
    (void)state;
    struct listen_addr la;
    char err[256];
    int fd = listen_reuseport(&la);
    assert_int_equal(listener_probe(&la, err, sizeof err), -1);
    assert_non_null(strstr(err, ": address already in use (another process listens there"));
    /* a second SO_REUSEPORT socket would have joined silently: that is
     * what the probe is for */
    int joined = listener_open(&la, err, sizeof err);
    assert_true(joined >= 0);
    close(joined);
    close(fd);
    assert_int_equal(listener_probe(&la, err, sizeof err), 0); /* free again */
}

/* On reload, addresses the running config overlaps are the parent's own. */
static void test_probe_new_skips_own(void **state)
{
    (void)state;
    struct listen_addr la;
    char err[256];
    int fd = listen_reuseport(&la);
    static struct config running;
    running = cfg;
    running.gateway.https[0] = la;
    running.gateway.n_https = 1;
    struct config next = running;
    assert_int_equal(listener_probe_new(&next, &running, err, sizeof err), 0);
    assert_int_equal(listener_probe_new(&next, NULL, err, sizeof err), -1);
    addr_of(&running.gateway.https[0], "0.0.0.0:1"); /* another port: not ours */
    assert_int_equal(listener_probe_new(&next, &running, err, sizeof err), -1);
    close(fd);
}

static void tmp_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "/tmp/rampart-test-instance-%d-%s", (int)getpid(), name);
}

static void test_pid_file(void **state)
{
    (void)state;
    char err[512], text[32], want[32];
    tmp_path(cfg.gateway.pid_file, sizeof cfg.gateway.pid_file, "pid");
    struct instance a, b;
    assert_int_equal(instance_acquire(&a, &cfg, err, sizeof err), 0);
    instance_started(&a);
    FILE *fp = fopen(cfg.gateway.pid_file, "r");
    assert_non_null(fp);
    assert_non_null(fgets(text, sizeof text, fp));
    fclose(fp);
    snprintf(want, sizeof want, "%d\n", (int)getpid());
    assert_string_equal(text, want);
    /* flock belongs to the open file: a second open is refused even here */
    assert_int_equal(instance_acquire(&b, &cfg, err, sizeof err), -1);
    snprintf(want, sizeof want, "(pid %d)", (int)getpid());
    assert_non_null(strstr(err, ": held by a running rampart "));
    assert_non_null(strstr(err, want));
    assert_int_equal(b.pid_fd, -1);
    instance_release(&a);
    assert_int_equal(access(cfg.gateway.pid_file, F_OK), -1); /* removed */
    instance_release(&a);                                     /* idempotent */
    assert_int_equal(instance_acquire(&b, &cfg, err, sizeof err), 0);
    instance_release(&b);
}

static void test_pid_file_errors(void **state)
{
    (void)state;
    char err[512];
    struct instance a;
    snprintf(cfg.gateway.pid_file, sizeof cfg.gateway.pid_file, "/nonexistent-dir/rampart.pid");
    assert_int_equal(instance_acquire(&a, &cfg, err, sizeof err), -1);
    assert_string_equal(err, "pid_file /nonexistent-dir/rampart.pid: No such file or directory");
}

static void test_vrrp_instance(void **state)
{
    (void)state;
    char err[512], name[INSTANCE_LOCK_NAME_MAX];
    struct config_vrrp *v = &cfg.vrrp[0];
    config_vrrp_defaults(v, "");
    v->enabled = true;
    cfg.n_vrrp = 1;
    snprintf(v->interface, sizeof v->interface, "t%d", (int)getpid() % 100000);
    v->vrid = 255;
    instance_vrrp_name(v, name, sizeof name);
    char want[128];
    snprintf(want, sizeof want, "rampart-vrrp:%s:255", v->interface);
    assert_string_equal(name, want);
    struct instance a, b;
    assert_int_equal(instance_acquire(&a, &cfg, err, sizeof err), 0);
    instance_started(&a);
    assert_int_equal(instance_acquire(&b, &cfg, err, sizeof err), -1);
    snprintf(want, sizeof want, "[vrrp] interface %s vrid 255: already run by another rampart", v->interface);
    assert_non_null(strstr(err, want));
    v->vrid = 254; /* another VRID on the same interface is another instance */
    assert_int_equal(instance_acquire(&b, &cfg, err, sizeof err), 0);
    instance_release(&b);
    instance_release(&a);
    v->vrid = 255;
    assert_int_equal(instance_acquire(&b, &cfg, err, sizeof err), 0); /* released */
    instance_release(&b);
    cfg.n_vrrp = 0;
}

/* Active-active: one name per instance. A second rampart running any of
 * them is refused, naming it; the same VRID in the other family is
 * another virtual router. */
static void test_vrrp_instances(void **state)
{
    (void)state;
    char err[512], name[INSTANCE_LOCK_NAME_MAX], want[160];
    char ifname[16];
    snprintf(ifname, sizeof ifname, "u%d", (int)getpid() % 100000);
    for (unsigned i = 0; i < 2; i++) {
        config_vrrp_defaults(&cfg.vrrp[i], i ? "vip-b" : "vip-a");
        snprintf(cfg.vrrp[i].interface, sizeof cfg.vrrp[i].interface, "%s", ifname);
        cfg.vrrp[i].vrid = 51 + i;
        char why[PARSE_WHY_MAX];
        assert_int_equal(parse_ip("198.18.0.10", &cfg.vrrp[i].vips[0].addr, why), 0);
        cfg.vrrp[i].n_vips = 1;
    }
    cfg.n_vrrp = 2;
    struct instance a, b;
    assert_int_equal(instance_acquire(&a, &cfg, err, sizeof err), 0);
    instance_started(&a);
    static struct config other;
    other = cfg;
    other.vrrp[0].enabled = false; /* runs vip-b only: still refused */
    assert_int_equal(instance_acquire(&b, &other, err, sizeof err), -1);
    snprintf(want, sizeof want, "[vrrp vip-b] interface %s vrid 52: already run by another rampart", ifname);
    assert_non_null(strstr(err, want));
    /* vip-b as IPv6: another router, another name */
    char why[PARSE_WHY_MAX];
    assert_int_equal(parse_ip("fd00:198:18::10", &other.vrrp[1].vips[0].addr, why), 0);
    instance_vrrp_name(&other.vrrp[1], name, sizeof name);
    snprintf(want, sizeof want, "rampart-vrrp6:%s:52", ifname);
    assert_string_equal(name, want);
    assert_int_equal(instance_acquire(&b, &other, err, sizeof err), 0);
    instance_release(&b);
    instance_release(&a);
    cfg.n_vrrp = 0;
}

/* The start-up mutex is held from acquire to started: a second start in
 * the same namespace waits INSTANCE_STARTUP_WAIT_MS, then gives up. */
static void test_startup_mutex(void **state)
{
    (void)state;
    char err[512];
    struct instance a, b;
    assert_int_equal(instance_acquire(&a, &cfg, err, sizeof err), 0);
    assert_true(a.startup_fd >= 0);
    assert_int_equal(instance_acquire(&b, &cfg, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want, "another rampart has been starting in this network namespace for %d ms",
             INSTANCE_STARTUP_WAIT_MS);
    assert_string_equal(err, want);
    instance_started(&a);
    assert_int_equal(a.startup_fd, -1);
    assert_int_equal(instance_acquire(&b, &cfg, err, sizeof err), 0);
    instance_release(&b);
    instance_release(&a);
}

static void test_admin_probe(void **state)
{
    (void)state;
    char err[512];
    struct instance a;
    int fd = listen_reuseport(&cfg.admin.listen);
    cfg.admin.enabled = true;
    assert_int_equal(instance_acquire(&a, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "[admin] listen 127.0.0.1:"));
    assert_non_null(strstr(err, ": address already in use"));
    assert_int_equal(a.startup_fd, -1); /* nothing held after a refusal */
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_overlaps, setup),
        cmocka_unit_test_setup(test_probe, setup),
        cmocka_unit_test_setup(test_probe_new_skips_own, setup),
        cmocka_unit_test_setup(test_pid_file, setup),
        cmocka_unit_test_setup(test_pid_file_errors, setup),
        cmocka_unit_test_setup(test_vrrp_instance, setup),
        cmocka_unit_test_setup(test_vrrp_instances, setup),
        cmocka_unit_test_setup(test_startup_mutex, setup),
        cmocka_unit_test_setup(test_admin_probe, setup),
    };
    return cmocka_run_group_tests_name("instance", tests, NULL, NULL);
}
