/* Unit tests for the rampart.ini reader: defaults, the example file, and
 * malformed files, each with its exact "FILE:LINE: message". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/config/config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char path[128];

/* The peer channel's key and ticket key files (80 and 48 bytes). */
static void write_secret(const char *name, const void *data, size_t len, mode_t mode)
{
    char file[128];
    snprintf(file, sizeof file, "%s/%s", dir, name);
    FILE *fp = fopen(file, "w");
    fwrite(data, 1, len, fp);
    fclose(fp);
    chmod(file, mode);
}

static void write_secrets(void)
{
    static const char psk[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
    uint8_t t[80];
    write_secret("peer.psk", psk, sizeof psk - 1, 0600);
    write_secret("short.psk", "0011\n", 5, 0600);
    write_secret("open.psk", psk, sizeof psk - 1, 0644);
    for (int k = 0; k < 2; k++) {
        memset(t, 0x10 + k, sizeof t);
        write_secret(k ? "t2.key" : "t1.key", t, sizeof t, 0600);
    }
    write_secret("t48.key", t, 48, 0600);
}

/* A temp dir with a certificate and a properly protected key. */
static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/rampart-config-test.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char file[128];
    snprintf(file, sizeof file, "%s/site.crt", dir);
    FILE *fp = fopen(file, "w");
    fputs("not parsed by the config reader\n", fp);
    fclose(fp);
    snprintf(file, sizeof file, "%s/site.key", dir);
    fp = fopen(file, "w");
    fclose(fp);
    chmod(file, 0600);
    snprintf(file, sizeof file, "%s/open.key", dir);
    fp = fopen(file, "w");
    fclose(fp);
    chmod(file, 0644);
    /* a link to the good key, and a directory named like a key */
    char target[128];
    snprintf(target, sizeof target, "%s/site.key", dir);
    snprintf(file, sizeof file, "%s/link.key", dir);
    if (symlink(target, file) < 0)
        return -1;
    snprintf(file, sizeof file, "%s/dir.key", dir);
    if (mkdir(file, 0700) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/rampart.ini", dir);
    write_secrets();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes `text` with @DIR@ replaced by the temp dir. */
static void write_config(const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (const char *p = text; *p; p++) {
        if (strncmp(p, "@DIR@", 5) == 0) {
            fputs(dir, fp);
            p += 4;
        } else {
            fputc(*p, fp);
        }
    }
    fclose(fp);
}

#define VALID_HEAD                                                                                           \
    "[tls]\n"                                                                                                \
    "certificate = www.foobar.com @DIR@/site.crt @DIR@/site.key\n"                                           \
    "[backend web-01]\n"                                                                                     \
    "address = 198.19.0.11\n"
/* VALID_HEAD is 4 lines: the line numbers below count from there. */

static void test_defaults(void **state)
{
    (void)state;
    struct config c;
    config_defaults(&c);
    assert_int_equal(c.gateway.n_https, 1);
    assert_int_equal(c.gateway.n_http, 1);
    assert_true(c.gateway.workers >= 1);
    assert_string_equal(c.gateway.user, "rampart");
    assert_string_equal(c.gateway.pid_file, ""); /* none unless asked */
    assert_int_equal(c.tls.server.min_version, TLS_MIN_1_2);
    assert_true(c.tls.server.tickets);
    assert_false(c.tls.server.tickets_tls12); /* TLS 1.2 resumption skips ECDHE */
    assert_int_equal(c.limits.send_timeout_ms, 30000);
    assert_int_equal(c.limits.body_timeout_ms, 10000);
    assert_int_equal(c.limits.body_min_rate, 1024);
    assert_int_equal(c.limits.queue_timeout_ms, 5000);
    assert_int_equal(c.limits.max_connections_per_ip, CONFIG_PER_IP_DEFAULT);
    assert_int_equal(c.health.rise, 2);
    assert_int_equal(c.health.fall, 3);
    assert_int_equal(c.limits.max_header_size, 16384);
    assert_int_equal(c.limits.header_timeout_ms, 10000);
    assert_int_equal(c.n_vrrp, 0); /* no [vrrp]: no VRRP */
    assert_false(c.gateway.relay_grace_set);
    struct config_vrrp v;
    config_vrrp_defaults(&v, "");
    assert_false(v.enabled); /* [vrrp] needs enabled = yes, as it always did */
    assert_int_equal(v.advert_interval_cs, 100);
    assert_int_equal(v.garp_count, 5);              /* keepalived's garp_master_repeat ... */
    assert_int_equal(v.garp_repeat_delay_ms, 5000); /* ... and garp_master_delay */
    assert_true(v.garp_on_behalf);
    config_vrrp_defaults(&v, "vip-a");
    assert_true(v.enabled); /* a named section is enabled unless it says not */
    assert_string_equal(v.name, "vip-a");
    assert_true(c.admin.enabled);
    struct sockaddr_in *admin = (struct sockaddr_in *)&c.admin.listen.addr;
    assert_int_equal(ntohs(admin->sin_port), 9100);
    assert_int_equal(admin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
}

static void test_minimal_config_loads(void **state)
{
    (void)state;
    write_config(VALID_HEAD);
    struct config_errors e;
    struct config *c = config_load(path, &e);
    assert_non_null(c);
    assert_int_equal(e.count, 0);
    assert_int_equal(c->n_backends, 1);
    assert_string_equal(c->backends[0].name, "web-01");
    struct sockaddr_in *b = (struct sockaddr_in *)&c->backends[0].addr;
    assert_int_equal(ntohs(b->sin_port), 80);
    assert_int_equal(c->backends[0].weight, 1);
    config_free(c);
}

/* The shipped example documents every key; with its file names pointed at
 * the temp dir it must load and carry its values. */
static void test_example_file_loads(void **state)
{
    (void)state;
    FILE *in = fopen("examples/rampart.ini", "r");
    assert_non_null(in);
    char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[n] = '\0';
    FILE *out = fopen(path, "w");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "certificate =", 13) == 0) {
            char name[64];
            sscanf(line, "certificate = %63s", name);
            fprintf(out, "certificate = %s %s/site.crt %s/site.key\n", name, dir, dir);
        } else {
            fprintf(out, "%s\n", line);
        }
    }
    fclose(out);
    struct config_errors e;
    struct config *c = config_load(path, &e);
    if (!c)
        config_errors_print(&e, stderr);
    assert_non_null(c);
    assert_int_equal(c->tls.server.n_certs, 2);
    assert_string_equal(c->tls.server.certs[1].server_name, "api.foobar.com");
    assert_int_equal(c->n_backends, 2);
    assert_string_equal(c->health.host, "www.foobar.com");
    assert_int_equal(c->health.expect_status_max, 399);
    assert_int_equal(c->n_vrrp, 2);
    assert_string_equal(c->vrrp[0].name, "");
    assert_int_equal(c->vrrp[0].n_vips, 1);
    assert_int_equal(c->vrrp[0].vips[0].len, 24);
    assert_string_equal(c->vrrp[1].name, "v6");
    assert_int_equal(config_vrrp_family(&c->vrrp[1]), AF_INET6);
    assert_int_equal(c->limits.max_body_size, 100 * 1024 * 1024);
    config_free(c);
}

static void test_values_are_parsed(void **state)
{
    (void)state;
    write_config(VALID_HEAD
                 "port = 8080\nweight = 3\n"
                 "[gateway]\nlisten_https = 198.18.0.10:443, [::1]:8443\nlisten_http =\nworkers = 4\n"
                 "log_format = json\npid_file = /run/rampart/rampart.pid\n"
                 "[vrrp]\nenabled = yes\ninterface = eth1\nvirtual_ip = 198.18.0.10/24, 198.18.0.11\n"
                 "advert_interval = 100ms\nunicast_peer = 198.18.0.3\n"
                 "[limits]\n  max_body_size = 0\n  idle_timeout = 5m\n"
                 "[tls]\nalpn = http/1.1\n"
                 "[http2]\nmax_concurrent_streams = 1000\nmax_header_list_size = 16k\nheader_table_size = 0\n"
                 "max_continuations = 0\nmax_header_block_size = 1m\nmax_frames_without_progress = 10\n"
                 "max_resets_per_second = 1\nfirst_stream_timeout = 100ms\nidle_timeout = 1h\n");
    struct config_errors e;
    struct config *c = config_load(path, &e);
    if (!c)
        config_errors_print(&e, stderr);
    assert_non_null(c);
    assert_int_equal(ntohs(((struct sockaddr_in *)&c->backends[0].addr)->sin_port), 8080);
    assert_int_equal(c->backends[0].weight, 3);
    assert_int_equal(c->gateway.n_https, 2);
    assert_int_equal(c->gateway.n_http, 0);
    assert_int_equal(c->gateway.workers, 4);
    assert_int_equal(c->gateway.log_format, LOG_FORMAT_JSON);
    assert_string_equal(c->gateway.pid_file, "/run/rampart/rampart.pid");
    assert_int_equal(c->n_vrrp, 1);
    assert_true(c->vrrp[0].enabled);
    assert_int_equal(c->vrrp[0].n_vips, 2);
    assert_int_equal(c->vrrp[0].vips[1].len, 32);
    assert_int_equal(c->vrrp[0].advert_interval_cs, 10);
    assert_int_equal(c->vrrp[0].n_unicast_peers, 1);
    assert_int_equal(c->limits.max_body_size, 0); /* indented keys are keys, not continuations */
    assert_int_equal(c->limits.idle_timeout_ms, 300000);
    assert_int_equal(c->tls.server.n_alpn, 1);
    assert_int_equal(c->tls.server.alpn[0], TLS_ALPN_HTTP11);
    /* every [http2] key at the edge of its range */
    assert_int_equal(c->http2.max_concurrent_streams, 1000);
    assert_int_equal(c->http2.max_header_list_size, 16384);
    assert_int_equal(c->http2.header_table_size, 0);
    assert_int_equal(c->http2.max_continuations, 0);
    assert_int_equal(c->http2.max_header_block_size, 1 << 20);
    assert_int_equal(c->http2.max_frames_without_progress, 10);
    assert_int_equal(c->http2.max_resets_per_second, 1);
    assert_int_equal(c->http2.first_stream_timeout_ms, 100);
    assert_int_equal(c->http2.idle_timeout_ms, 3600000);
    config_free(c);
}

/* h2 is offered first unless [tls] alpn says otherwise; the [http2]
 * limits have the defaults rampart.ini(5) gives. */
static void test_http2_defaults(void **state)
{
    (void)state;
    struct config c;
    config_defaults(&c);
    assert_int_equal(c.tls.server.n_alpn, 2);
    assert_int_equal(c.tls.server.alpn[0], TLS_ALPN_H2);
    assert_int_equal(c.tls.server.alpn[1], TLS_ALPN_HTTP11);
    assert_int_equal(c.http2.max_concurrent_streams, 100);
    assert_int_equal(c.http2.max_header_list_size, 16384);
    assert_int_equal(c.http2.header_table_size, 4096);
    assert_int_equal(c.http2.max_continuations, 8);
    assert_int_equal(c.http2.max_header_block_size, 32768);
    assert_int_equal(c.http2.max_frames_without_progress, 100);
    assert_int_equal(c.http2.max_resets_per_second, 100);
    assert_int_equal(c.http2.first_stream_timeout_ms, 10000);
    assert_int_equal(c.http2.idle_timeout_ms, 60000);
}

/* The keys of issue 10: their values, and the per-IP default kept under a
 * small max_connections (only an explicit value above it is an error). */
static void test_issue10_keys(void **state)
{
    (void)state;
    write_config(VALID_HEAD "max_connections = 7\n"
                            "[tls]\ntickets_tls12 = yes\n"
                            "[limits]\nsend_timeout = 100ms\nbody_timeout = 1h\nbody_min_rate = 0\n"
                            "queue_timeout = 0\nmax_connections = 20\n");
    struct config_errors e;
    struct config *c = config_load(path, &e);
    if (!c)
        config_errors_print(&e, stderr);
    assert_non_null(c);
    assert_int_equal(c->backends[0].max_connections, 7);
    assert_true(c->tls.server.tickets_tls12);
    assert_int_equal(c->limits.send_timeout_ms, 100);
    assert_int_equal(c->limits.body_timeout_ms, 3600000);
    assert_int_equal(c->limits.body_min_rate, 0);
    assert_int_equal(c->limits.queue_timeout_ms, 0);
    assert_int_equal(c->limits.max_connections_per_ip, 20); /* the default 64, kept under 20 */
    config_free(c);
    write_config(VALID_HEAD "max_connections = 100000\n[limits]\nbody_min_rate = 1g\nqueue_timeout = 10m\n");
    c = config_load(path, &e);
    assert_non_null(c);
    assert_int_equal(c->backends[0].max_connections, 100000);
    assert_int_equal(c->limits.body_min_rate, 1u << 30);
    assert_int_equal(c->limits.max_connections_per_ip, CONFIG_PER_IP_DEFAULT);
    config_free(c);
}

/* ---- malformed files: the first message, exactly ---------------------------- */

struct bad_case {
    const char *text;
    const char *message; /* after "PATH" */
};

static const struct bad_case bad_cases[] = {
    {VALID_HEAD "port = 70000\n", ":5: backend 'web-01': port: 70000 out of range 1-65535"},
    {VALID_HEAD "port = http\n", ":5: backend 'web-01': port: 'http' is not a whole number"},
    {VALID_HEAD "weight = 257\n", ":5: backend 'web-01': weight: 257 out of range 0-256"},
    {VALID_HEAD "adress = 198.19.0.12\n", ":5: backend 'web-01': unknown key 'adress'"},
    {VALID_HEAD "address = 198.19.0.12\n", ":5: backend 'web-01': 'address' is set twice"},
    {VALID_HEAD "[backend web-02]\naddress = web-02.lan\n",
     ":6: backend 'web-02': address: 'web-02.lan' is not an IP address (names are not resolved; the port "
     "goes in 'port')"},
    {VALID_HEAD "[backend web 02]\naddress = 198.19.0.12\n",
     ":6: [backend web 02]: 'web 02' is not a valid backend name (letters, digits, '-', '.', '_')"},
    {VALID_HEAD "[backend]\naddress = 198.19.0.12\n", ":6: [backend] needs a name, e.g. [backend web-01]"},
    {VALID_HEAD "[backend web-02]\nport = 81\n", ":6: backend 'web-02': 'address' is missing"},
    {VALID_HEAD "[gatway]\nworkers = 2\n", ":6: unknown section [gatway]"},
    {VALID_HEAD "[gateway]\nworkers = many\n",
     ":6: [gateway] workers: 'many' is not 'auto' or a number 1-64"},
    {VALID_HEAD "[gateway]\nworkers = 65\n", ":6: [gateway] workers: '65' is not 'auto' or a number 1-64"},
    {VALID_HEAD "[gateway]\nlisten_https = 0.0.0.0\n",
     ":6: [gateway] listen_https: '0.0.0.0' is not ADDRESS:PORT"},
    {VALID_HEAD "[gateway]\nlisten_https = 0.0.0.0:0\n",
     ":6: [gateway] listen_https: '0.0.0.0:0': port must be 1-65535"},
    {VALID_HEAD "[gateway]\nlisten_https =\n",
     ":6: [gateway] listen_https: at least one ADDRESS:PORT is required"},
    {VALID_HEAD "[gateway]\nlog_format = xml\n", ":6: [gateway] log_format: 'xml' is not one of plain, json"},
    {VALID_HEAD "[gateway]\nuser = no-such-user-here\n",
     ": [gateway] user 'no-such-user-here' does not exist on this system"},
    {VALID_HEAD "[gateway]\ndrain_timeout = 1h\n",
     ":6: [gateway] drain_timeout: 1h is longer than the maximum 600000ms"},
    {VALID_HEAD "[gateway]\npid_file = run/rampart.pid\n",
     ":6: [gateway] pid_file: 'run/rampart.pid' is not an absolute path"},
    {VALID_HEAD "[tls]\nmin_version = 1.1\n", ":6: [tls] min_version: '1.1' is not one of 1.2, 1.3"},
    {VALID_HEAD "[tls]\ncertificate = www.foobar.com @DIR@/site.crt\n",
     ":6: [tls] certificate: expected 'SERVER_NAME CERT_FILE KEY_FILE'"},
    {VALID_HEAD "[tls]\ncertificate = WWW.foobar.com @DIR@/site.crt @DIR@/site.key\n",
     ":6: [tls] certificate: server name 'WWW.foobar.com' already has a certificate (line 2)"},
    {"[tls]\ncertificate = www.foobar.com @DIR@/site.crt @DIR@/open.key\n[backend a]\naddress = 198.19.0.1\n",
     ":2: [tls] key file '@DIR@/open.key' is accessible by group or others (mode 0644); chmod 600 it"},
    /* a link is refused even when what it points at is a good key: stat()
     * would judge the target, which whoever owns the directory can change */
    {"[tls]\ncertificate = www.foobar.com @DIR@/site.crt @DIR@/link.key\n[backend a]\naddress = 198.19.0.1\n",
     ":2: [tls] key file '@DIR@/link.key' is a symbolic link: name the file itself"},
    {"[tls]\ncertificate = www.foobar.com @DIR@/site.crt @DIR@/dir.key\n[backend a]\naddress = 198.19.0.1\n",
     ":2: [tls] key file '@DIR@/dir.key' is not a regular file"},
    {"[tls]\ncertificate = www.foobar.com @DIR@/site.crt @DIR@/none.key\n[backend a]\naddress = 198.19.0.1\n",
     ":2: [tls] key file '@DIR@/none.key': No such file or directory"},
    {"[tls]\ncertificate = www.foobar.com @DIR@/missing.crt @DIR@/site.key\n[backend a]\naddress = "
     "198.19.0.1\n",
     ":2: [tls] certificate file '@DIR@/missing.crt': No such file or directory"},
    {"[backend a]\naddress = 198.19.0.1\n",
     ": [tls] no certificate: the HTTPS listener needs 'certificate = NAME CERT_FILE KEY_FILE'"},
    {VALID_HEAD "[tls]\nhsts_max_age = -1\n", ":6: [tls] hsts_max_age: '-1' is not a whole number"},
    {"[tls]\ncertificate = www.foobar.com @DIR@/site.crt @DIR@/site.key\n",
     ": no [backend NAME] section: at least one backend is required"},
    {VALID_HEAD "[health]\npath = healthz\n", ":6: [health] path: 'healthz' must start with '/'"},
    {VALID_HEAD "[health]\nrise = 0\n", ":6: [health] rise: 0 out of range 1-100"},
    {VALID_HEAD "[health]\ninterval = 50ms\n",
     ":6: [health] interval: 50ms is shorter than the minimum 100ms"},
    {VALID_HEAD "[health]\nexpect_status = 399-200\n", ":6: [health] expect_status: range 399-200 is empty"},
    {VALID_HEAD "[health]\ntimeout = 5s\n", ": [health] timeout (5000ms) exceeds interval (2000ms)"},
    {VALID_HEAD "[limits]\nmax_header_size = 17k\n",
     ":6: [limits] max_header_size: 17k is larger than the maximum 16384 bytes"},
    {VALID_HEAD "[limits]\nmax_header_size = 512\n",
     ":6: [limits] max_header_size: 512 is smaller than the minimum 1024 bytes"},
    {VALID_HEAD "[limits]\nheader_timeout = soon\n",
     ":6: [limits] header_timeout: 'soon' is not a duration (e.g. 250ms, 10s, 5m, 12h)"},
    {VALID_HEAD "[limits]\nmax_connections = 10\nmax_connections_per_ip = 20\n",
     ": [limits] max_connections_per_ip (20) exceeds max_connections (10)"},
    {VALID_HEAD "[tls]\nalpn = h3\n", ":6: [tls] alpn: 'h3' is not a protocol Rampart speaks (h2, http/1.1)"},
    {VALID_HEAD "[tls]\nalpn = h2, h2\n", ":6: [tls] alpn: 'h2' is listed twice"},
    {VALID_HEAD "[tls]\nalpn =\n",
     ":6: [tls] alpn: expected 'h2,http/1.1', 'http/1.1,h2', 'h2' or 'http/1.1'"},
    {VALID_HEAD "[http2]\nmax_concurrent_streams = 0\n",
     ":6: [http2] max_concurrent_streams: 0 out of range 1-1000"},
    {VALID_HEAD "[http2]\nmax_concurrent_streams = 1001\n",
     ":6: [http2] max_concurrent_streams: 1001 out of range 1-1000"},
    {VALID_HEAD "[http2]\nmax_header_list_size = 17k\n",
     ":6: [http2] max_header_list_size: 17k is larger than the maximum 16384 bytes"},
    {VALID_HEAD "[http2]\nheader_table_size = 65537\n",
     ":6: [http2] header_table_size: 65537 is larger than the maximum 65536 bytes"},
    {VALID_HEAD "[http2]\nmax_continuations = 257\n",
     ":6: [http2] max_continuations: 257 out of range 0-256"},
    {VALID_HEAD "[http2]\nmax_header_block_size = 1023\n",
     ":6: [http2] max_header_block_size: 1023 is smaller than the minimum 1024 bytes"},
    {VALID_HEAD "[http2]\nmax_frames_without_progress = 9\n",
     ":6: [http2] max_frames_without_progress: 9 out of range 10-100000"},
    {VALID_HEAD "[http2]\nmax_resets_per_second = 0\n",
     ":6: [http2] max_resets_per_second: 0 out of range 1-100000"},
    {VALID_HEAD "[http2]\nfirst_stream_timeout = 99ms\n",
     ":6: [http2] first_stream_timeout: 99ms is shorter than the minimum 100ms"},
    {VALID_HEAD "[http2]\nidle_timeout = 2h\n",
     ":6: [http2] idle_timeout: 2h is longer than the maximum 3600000ms"},
    {VALID_HEAD "max_connections = 100001\n",
     ":5: backend 'web-01': max_connections: 100001 out of range 0-100000"},
    {VALID_HEAD "max_connections = -1\n",
     ":5: backend 'web-01': max_connections: '-1' is not a whole number"},
    {VALID_HEAD "[limits]\nsend_timeout = 99ms\n",
     ":6: [limits] send_timeout: 99ms is shorter than the minimum 100ms"},
    {VALID_HEAD "[limits]\nsend_timeout = 2h\n",
     ":6: [limits] send_timeout: 2h is longer than the maximum 3600000ms"},
    {VALID_HEAD "[limits]\nbody_timeout = 50ms\n",
     ":6: [limits] body_timeout: 50ms is shorter than the minimum 100ms"},
    {VALID_HEAD "[limits]\nbody_min_rate = 2g\n",
     ":6: [limits] body_min_rate: 2g is larger than the maximum 1073741824 bytes"},
    {VALID_HEAD "[limits]\nbody_min_rate = fast\n",
     ":6: [limits] body_min_rate: 'fast' is not a size (e.g. 8192, 16k, 10m)"},
    {VALID_HEAD "[limits]\nqueue_timeout = 11m\n",
     ":6: [limits] queue_timeout: 11m is longer than the maximum 600000ms"},
    {VALID_HEAD "[tls]\ntickets_tls12 = sometimes\n",
     ":6: [tls] tickets_tls12: 'sometimes' is not a boolean (yes/no, on/off, true/false)"},
    {VALID_HEAD "[vrrp]\nenabled = maybe\n",
     ":6: [vrrp] enabled: 'maybe' is not a boolean (yes/no, on/off, true/false)"},
    {VALID_HEAD "[vrrp]\nvrid = 256\n", ":6: [vrrp] vrid: 256 out of range 1-255"},
    {VALID_HEAD "[vrrp]\nadvert_interval = 15ms\n",
     ":6: [vrrp] advert_interval: 15ms: VRRPv3 needs a multiple of 10ms between 10ms and 40950ms"},
    {VALID_HEAD "[vrrp]\nvirtual_ip = 198.18.0.300/24\n",
     ":6: [vrrp] virtual_ip: '198.18.0.300' is not an IP address"},
    {VALID_HEAD "[vrrp]\nenabled = yes\nvirtual_ip = 198.18.0.10/24\n",
     ":5: [vrrp] enabled, but 'interface' is missing"},
    {VALID_HEAD "[vrrp a]\ninterface = eth0\n", ":5: [vrrp a] enabled, but no 'virtual_ip'"},
    {VALID_HEAD "[vrrp a b]\ninterface = eth0\n",
     ":6: [vrrp a b]: 'a b' is not a valid instance name (letters, digits, '-', '.', '_')"},
    {VALID_HEAD "[vrrp a]\nvrid = 0\n", ":6: vrrp 'a': vrid: 0 out of range 1-255"},
    {VALID_HEAD "[vrrp a]\ninterface = eth0\nvirtual_ip = 198.18.0.10/24, fd00:198:18::10/64\n",
     ":7: [vrrp a] virtual_ip fd00:198:18::10: an instance speaks one family (IPv4, as its first address); "
     "put the IPv6 addresses in an instance of their own"},
    {VALID_HEAD "[vrrp a]\ninterface = eth0\nvirtual_ip = fd00:198:18::10/64\nunicast_peer = 198.18.0.2\n",
     ":8: [vrrp a] unicast_peer 198.18.0.2 is not IPv6, as the instance's addresses"},
    /* the same VRID on one link and family: twice a virtual router */
    {VALID_HEAD "[vrrp a]\ninterface = eth0\nvid = 1\n", ":7: vrrp 'a': unknown key 'vid'"},
    {VALID_HEAD "[vrrp a]\ninterface = eth0\nvrid = 7\nvirtual_ip = 198.18.0.10/24\n"
                "[vrrp b]\ninterface = eth0\nvirtual_ip = 198.18.0.11/24\nvrid = 7\n",
     ":12: [vrrp b] vrid 7 on eth0 (IPv4) is already [vrrp a]'s (line 5): a VRID is unique per link and "
     "family"},
    {VALID_HEAD "[vrrp]\nenabled = yes\ninterface = eth0\nvirtual_ip = 198.18.0.10/24\n"
                "[vrrp b]\ninterface = eth0\nvirtual_ip = 198.18.0.11/24\n",
     ":9: [vrrp b] vrid 51 on eth0 (IPv4) is already [vrrp]'s (line 5): a VRID is unique per link and "
     "family"},
    /* an address in two instances */
    {VALID_HEAD "[vrrp a]\ninterface = eth0\nvrid = 1\nvirtual_ip = 198.18.0.10/24\n"
                "[vrrp b]\ninterface = eth1\nvrid = 2\nvirtual_ip = 198.18.0.11, 198.18.0.10/32\n",
     ":12: [vrrp b] virtual_ip 198.18.0.10 is already in [vrrp a] (line 8)"},
    {VALID_HEAD "[gateway]\nrelay_grace = soon\n",
     ":6: [gateway] relay_grace: 'soon' is not a duration (e.g. 250ms, 10s, 5m, 12h)"},
    {VALID_HEAD "[vrrp]\ninterface = eth0/1\n", ":6: [vrrp] interface: 'eth0/1' is not an interface name"},
    {VALID_HEAD "[admin]\nlisten = localhost:9100\n",
     ":6: [admin] listen: 'localhost:9100': 'localhost' is not an IPv4 address (write IPv6 as [ADDR]:PORT)"},
    {VALID_HEAD "[firewall]\npolicy = @DIR@/none.policy\n",
     ":6: [firewall] policy '@DIR@/none.policy': No such file or directory"},
    {VALID_HEAD "just some words\n", ":5: syntax error: expected 'key = value', '[section]' or a comment"},
    {VALID_HEAD "[bgp]\nenabled = yes\nrequire_firewall = no\n",
     ":5: [bgp] enabled, but no 'service_address'"},
    {VALID_HEAD "[bgp]\nservice_address = 198.18.10.10/24\n",
     ":6: [bgp] service_address: '198.18.10.10/24': a service address is one host (/32); the router "
     "aggregates, not the gateway"},
    {VALID_HEAD "[bgp]\nservice_address = 2001:db8::10/64\n",
     ":6: [bgp] service_address: '2001:db8::10/64': a service address is one host (/128); the router "
     "aggregates, not the gateway"},
    {VALID_HEAD "[bgp]\nservice_address = 198.18.10.300\n",
     ":6: [bgp] service_address: '198.18.10.300' is not an IP address"},
    {VALID_HEAD "[bgp]\nservice_address = 198.18.10.1 198.18.10.2 198.18.10.3 198.18.10.4 198.18.10.5 "
                "198.18.10.6 198.18.10.7 198.18.10.8 198.18.10.9\n",
     ":6: [bgp] service_address: more than 8 service addresses"},
    {VALID_HEAD "[bgp]\ntable = 254\n",
     ":6: [bgp] table: 254 is the kernel's main table: name a table of Rampart's own (e.g. 100)"},
    {VALID_HEAD "[bgp]\ntable = 0\n", ":6: [bgp] table: 0 out of range 1-65535"},
    {VALID_HEAD "[bgp]\ntable = 65536\n", ":6: [bgp] table: 65536 out of range 1-65535"},
    {VALID_HEAD "[bgp]\nmin_backends = 65\n", ":6: [bgp] min_backends: 65 out of range 1-64"},
    {VALID_HEAD "[bgp]\ndrain_wait = 11m\n", ":6: [bgp] drain_wait: 11m is longer than the maximum 600000ms"},
    {VALID_HEAD "[bgp]\ninterface = a/b\n", ":6: [bgp] interface: 'a/b' is not an interface name"},
    {VALID_HEAD "[bgp]\nenabled = yes\nservice_address = 198.18.10.10\nmin_backends = 2\n"
                "require_firewall = no\n",
     ":8: [bgp] min_backends = 2, but only 1 backend is configured: the node would never announce"},
    {VALID_HEAD "[bgp]\nenabled = yes\nservice_address = 198.18.10.10\n",
     ":5: [bgp] require_firewall = yes, but [firewall] names no policy: set one, or require_firewall = no "
     "to announce an unfirewalled node"},
    {VALID_HEAD "[bgp]\nenabled = yes\nrequire_firewall = no\nservice_address = 198.18.10.10, "
                "198.18.10.11\nservice_address = 198.18.10.10\n",
     ":9: [bgp] service_address 198.18.10.10 is listed twice (line 8)"},
    {VALID_HEAD "[vrrp]\nenabled = yes\ninterface = eth0\nvirtual_ip = 198.18.10.10/24\n"
                "[bgp]\nenabled = yes\nrequire_firewall = no\nservice_address = 198.18.10.10\n",
     ":12: [bgp] service_address 198.18.10.10 is also a virtual_ip of [vrrp] (line 8): an address is "
     "announced over BGP or moved by VRRP, not both"},
};

/* Expands @DIR@ in an expected message. */
static void expand(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < len; p++) {
        if (strncmp(p, "@DIR@", 5) == 0) {
            o += (size_t)snprintf(out + o, len - o, "%s", dir);
            p += 4;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

/* One cmocka test per malformed file (the case is the test's state). */
static void test_malformed_file(void **state)
{
    const struct bad_case *bad = *state;
    write_config(bad->text);
    struct config_errors e;
    struct config *c = config_load(path, &e);
    if (c) {
        config_free(c);
        fail_msg("loaded, but expected: %s", bad->message);
    }
    char expected[512];
    expand(bad->message, expected, sizeof expected);
    assert_string_equal(e.msg[0] + strlen(path), expected);
}

/* [peer] and [tls] ticket_key_file: values, and each file:line error. */
static void test_peer_section(void **state)
{
    (void)state;
    write_config(VALID_HEAD "[tls]\nticket_key_file = @DIR@/t1.key\nticket_key_file = @DIR@/t2.key\n"
                            "[peer]\naddress = 198.19.0.3\nlisten = 198.19.0.2\npsk_file = @DIR@/peer.psk\n"
                            "keepalive = 250ms\ndead_after = 1s\nkey_wait = 0\nshare_blocklist = no\n");
    struct config_errors e;
    struct config *c = config_load(path, &e);
    if (!c)
        fail_msg("%s", e.msg[0]);
    assert_true(c->peer.enabled);
    assert_int_equal(c->peer.port, 7443);
    assert_int_equal(c->peer.keepalive_ms, 250);
    assert_int_equal(c->peer.dead_after_ms, 1000);
    assert_int_equal(c->peer.key_wait_ms, 0);
    assert_true(c->peer.share_tickets);
    assert_false(c->peer.share_blocklist);
    assert_int_equal(c->tls.server.n_ticket_key_files, 2);
    config_free(c);
    static const struct {
        const char *text, *message;
    } bad[] = {
        {"[peer]\naddress = 198.19.0.3\npsk_file = @DIR@/peer.psk\n",
         ":6: [peer] needs 'listen' (this gateway's own address on the same link)"},
        {"[peer]\naddress = 198.19.0.3\nlisten = 198.19.0.3\npsk_file = @DIR@/peer.psk\n",
         ":6: [peer] address and listen are the same: address is the other gateway's"},
        {"[peer]\naddress = 198.19.0.3\nlisten = 198.19.0.2\n",
         ":6: [peer] needs one of 'psk_file' (a pre-shared key) or 'certificate' + 'ca'"},
        {"[peer]\naddress = 198.19.0.3\nlisten = 198.19.0.2\npsk_file = @DIR@/short.psk\n",
         ":8: [peer] psk_file '@DIR@/short.psk': 4 hex digits: a key is 32-64 bytes, 64-128 even digits"},
        {"[peer]\naddress = 198.19.0.3\nlisten = 198.19.0.2\npsk_file = @DIR@/open.psk\n",
         ":8: [peer] psk_file @DIR@/open.psk: accessible by group or others: chmod 600 it"},
        {"[peer]\naddress = 198.19.0.3\nlisten = 198.19.0.2\npsk_file = @DIR@/peer.psk\nkeepalive = 3s\n",
         ":6: [peer] dead_after (3000ms) must be longer than keepalive (3000ms)"},
        {"[peer]\nlisten = 198.19.0.2\n",
         ": [peer] has no 'address' (the other gateway's): the section does nothing"},
        {"[peer]\naddress = 198.19.0.3\nlisten = 198.19.0.2\ncertificate = @DIR@/site.crt @DIR@/site.key\n",
         ":8: [peer] 'certificate' needs 'ca' (the pair's own CA)"},
        {"[tls]\nticket_key_file = @DIR@/t48.key\n",
         ":6: [tls] ticket_key_file @DIR@/t48.key: 48 bytes (an AES-128 key): tickets here use AES-256, make "
         "an 80-byte key (openssl rand 80 > FILE)"},
        {"[tls]\nticket_key_file = @DIR@/t1.key\nticket_key_file = @DIR@/t1.key\n",
         ":7: [tls] ticket_key_file '@DIR@/t1.key' is the same key as '@DIR@/t1.key'"},
        {"[tls]\nticket_key_file = @DIR@/t1.key\nticket_key_file = @DIR@/t2.key\nticket_key_file = "
         "@DIR@/t1.key\n",
         ":8: [tls] ticket_key_file: more than 2 ticket key files (the current one, then the previous)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1024], expected[512];
        snprintf(text, sizeof text, "%s%s", VALID_HEAD, bad[i].text);
        write_config(text);
        c = config_load(path, &e);
        if (c) {
            config_free(c);
            fail_msg("loaded, but expected: %s", bad[i].message);
        }
        expand(bad[i].message, expected, sizeof expected);
        assert_string_equal(e.msg[0] + strlen(path), expected);
    }
}

/* Every problem is reported, not just the first. */
static void test_all_errors_reported(void **state)
{
    (void)state;
    write_config(VALID_HEAD "port = 0\nweight = -3\n[limits]\nmax_headers = 0\n[nonsense]\na = b\nc = d\n");
    struct config_errors e;
    assert_null(config_load(path, &e));
    assert_int_equal(e.count, 4); /* the unknown section is reported once */
    char expected[256];
    snprintf(expected, sizeof expected, "%s:10: unknown section [nonsense]", path);
    assert_string_equal(e.msg[3], expected);
}

static void test_line_too_long(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, VALID_HEAD "[health]\npath = /%0300d\n", 0);
    write_config(text);
    struct config_errors e;
    assert_null(config_load(path, &e));
    char expected[256];
    snprintf(expected, sizeof expected, "%s:6: line longer than 198 characters", path);
    assert_string_equal(e.msg[0], expected);
}

/* A key owned by someone else than root or the user running rampart is
 * refused, whatever its mode (needs root, to give the file away). */
static void test_key_owner(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    char key[128];
    snprintf(key, sizeof key, "%s/other.key", dir);
    FILE *fp = fopen(key, "w");
    assert_non_null(fp);
    fclose(fp);
    chmod(key, 0600);
    assert_int_equal(chown(key, 65534, 65534), 0);
    write_config("[tls]\ncertificate = www.foobar.com @DIR@/site.crt @DIR@/other.key\n[backend a]\n"
                 "address = 198.19.0.1\n");
    struct config_errors e;
    assert_null(config_load(path, &e));
    char expected[512];
    snprintf(expected, sizeof expected,
             "%s:2: [tls] key file '%s' is owned by uid 65534: it must belong to root or to uid 0 (who runs "
             "rampart)",
             path, key);
    assert_string_equal(e.msg[0], expected);
    /* the same file given back to root, read-only: accepted */
    assert_int_equal(chown(key, 0, 0), 0);
    chmod(key, 0400);
    struct config *c = config_load(path, &e);
    assert_non_null(c);
    config_free(c);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct config_errors e;
    assert_null(config_load("/nonexistent/rampart.ini", &e));
    assert_string_equal(e.msg[0], "/nonexistent/rampart.ini: cannot open: No such file or directory");
}

/* CONFIG_MAX_BACKENDS is the boundary: that many load, one more is refused. */
static void test_backend_limit(void **state)
{
    (void)state;
    char *text = malloc(64 * 1024);
    size_t o = (size_t)sprintf(text, "[tls]\ncertificate = a.example @DIR@/site.crt @DIR@/site.key\n");
    for (int i = 0; i < CONFIG_MAX_BACKENDS; i++)
        o += (size_t)sprintf(text + o, "[backend b%d]\naddress = 198.19.0.%d\n", i, i + 1);
    write_config(text);
    struct config_errors e;
    struct config *c = config_load(path, &e);
    assert_non_null(c);
    assert_int_equal(c->n_backends, CONFIG_MAX_BACKENDS);
    config_free(c);
    sprintf(text + o, "[backend extra]\naddress = 198.19.1.1\n");
    write_config(text);
    assert_null(config_load(path, &e));
    char expected[256];
    snprintf(expected, sizeof expected, "%s:%d: more than %d backends", path, 3 + 2 * CONFIG_MAX_BACKENDS + 1,
             CONFIG_MAX_BACKENDS);
    assert_string_equal(e.msg[0], expected);
    free(text);
}

/* CONFIG_MAX_VRRP_INSTANCES is the boundary: that many load, one more is
 * refused, at the line where it starts. */
static void test_vrrp_instance_limit(void **state)
{
    (void)state;
    char text[8192];
    size_t o = (size_t)snprintf(text, sizeof text, VALID_HEAD);
    for (int i = 0; i < CONFIG_MAX_VRRP_INSTANCES; i++)
        o += (size_t)snprintf(text + o, sizeof text - o,
                              "[vrrp v%d]\ninterface = eth0\nvrid = %d\nvirtual_ip = 198.18.1.%d/24\n", i,
                              i + 1, i + 1);
    write_config(text);
    struct config_errors e;
    struct config *c = config_load(path, &e);
    if (!c)
        config_errors_print(&e, stderr);
    assert_non_null(c);
    assert_int_equal(c->n_vrrp, CONFIG_MAX_VRRP_INSTANCES);
    assert_int_equal(config_vrrp_enabled_count(c), CONFIG_MAX_VRRP_INSTANCES);
    assert_string_equal(c->vrrp[CONFIG_MAX_VRRP_INSTANCES - 1].name, "v7");
    config_free(c);
    snprintf(text + o, sizeof text - o,
             "[vrrp extra]\ninterface = eth0\nvrid = 99\n[vrrp more]\nvrid = 98\n");
    write_config(text);
    assert_null(config_load(path, &e));
    char expected[256];
    snprintf(expected, sizeof expected,
             "%s:%d: more than %d VRRP instances ([vrrp] and [vrrp NAME] sections)", path,
             4 + 4 * CONFIG_MAX_VRRP_INSTANCES + 2, CONFIG_MAX_VRRP_INSTANCES);
    assert_string_equal(e.msg[0], expected);
    assert_int_equal(e.count, 1); /* said once */
}

/* Active-active as the lab runs it: two instances, each with its own VRID,
 * VIP and priority, one of them IPv6; the same VRID is allowed in the other
 * family (RFC 5798 counts VRIDs per family), and a section header seen
 * again continues its instance. */
static void test_vrrp_instances(void **state)
{
    (void)state;
    write_config(VALID_HEAD "[vrrp vip-a]\ninterface = eth0\nvrid = 51\npriority = 200\n"
                            "virtual_ip = 198.18.0.10/24\n"
                            "[vrrp vip-b]\ninterface = eth0\nvrid = 52\npriority = 100\n"
                            "virtual_ip = 198.18.0.11/24\nenabled = no\n"
                            "[vrrp vip-a6]\ninterface = eth0\nvrid = 51\n"
                            "virtual_ip = fd00:198:18::10/64, 2001:db8::10\nunicast_peer = fe80::2\n"
                            "garp_count = 2\ngarp_repeat_delay = 0\ngarp_on_behalf = no\n"
                            "[vrrp vip-a]\npreempt_delay = 2s\n"
                            "[gateway]\nrelay_grace = 250ms\n");
    struct config_errors e;
    struct config *c = config_load(path, &e);
    if (!c)
        config_errors_print(&e, stderr);
    assert_non_null(c);
    assert_int_equal(c->n_vrrp, 3);
    assert_int_equal(config_vrrp_enabled_count(c), 2);
    assert_string_equal(c->vrrp[0].name, "vip-a");
    assert_int_equal(c->vrrp[0].line, 5); /* its header */
    assert_int_equal(c->vrrp[0].priority, 200);
    assert_int_equal(c->vrrp[0].preempt_delay_ms, 2000);
    assert_false(c->vrrp[1].enabled);
    const struct config_vrrp *v6 = &c->vrrp[2];
    assert_int_equal(config_vrrp_family(v6), AF_INET6);
    assert_int_equal(v6->vips[0].len, 64);
    assert_int_equal(v6->vips[1].len, 128); /* no length: the address alone */
    assert_int_equal(v6->unicast_peers[0].family, AF_INET6);
    assert_int_equal(v6->garp_count, 2);
    assert_int_equal(v6->garp_repeat_delay_ms, 0);
    assert_false(v6->garp_on_behalf);
    assert_true(c->gateway.relay_grace_set);
    assert_int_equal(c->gateway.relay_grace_ms, 250);
    config_free(c);
}

/* [bgp]: defaults, values, and a disabled section checked by no rule. */
static void test_bgp_section(void **state)
{
    (void)state;
    struct config d;
    config_defaults(&d);
    assert_false(d.bgp.enabled);
    assert_string_equal(d.bgp.interface, "lo");
    assert_int_equal(d.bgp.table, 100);
    assert_int_equal(d.bgp.drain_wait_ms, 2000);
    assert_int_equal(d.bgp.min_backends, 1);
    assert_true(d.bgp.require_firewall);
    write_config(VALID_HEAD "[bgp]\nenabled = yes\nservice_address = 198.18.10.10, 2001:db8::10/128\n"
                            "service_address = 198.18.10.11/32\ninterface = dummy0\ntable = 65535\n"
                            "drain_wait = 0\nmin_backends = 1\nrequire_firewall = no\n"
                            "[backend web-02]\naddress = 198.19.0.12\n"
                            "[vrrp]\nenabled = yes\ninterface = eth1\nvirtual_ip = 198.19.0.10/24\n");
    struct config_errors e;
    struct config *c = config_load(path, &e);
    if (!c)
        config_errors_print(&e, stderr);
    assert_non_null(c);
    assert_true(c->bgp.enabled);
    assert_int_equal(c->bgp.line, 5);
    assert_int_equal(c->bgp.n_addrs, 3);
    assert_int_equal(c->bgp.addrs[0].len, 32);
    assert_int_equal(c->bgp.addrs[1].addr.family, AF_INET6);
    assert_int_equal(c->bgp.addrs[1].len, 128);
    assert_string_equal(c->bgp.interface, "dummy0");
    assert_int_equal(c->bgp.table, 65535);
    assert_int_equal(c->bgp.drain_wait_ms, 0);
    assert_false(c->bgp.require_firewall);
    config_free(c);
    /* exactly CONFIG_MAX_SERVICE_ADDRS is fine; a disabled [bgp] needs nothing */
    write_config(VALID_HEAD
                 "[bgp]\nenabled = no\nservice_address = 198.18.10.1 198.18.10.2 198.18.10.3 "
                 "198.18.10.4 198.18.10.5 198.18.10.6 198.18.10.7 198.18.10.8\nmin_backends = 64\n");
    c = config_load(path, &e);
    assert_non_null(c);
    assert_int_equal(c->bgp.n_addrs, CONFIG_MAX_SERVICE_ADDRS);
    config_free(c);
}

/* A disabled instance takes part in no rule: it may repeat another's VRID
 * and addresses (the operator parks a copy). */
/* [tls] acme_*: a valid set loads without the certificate files (ACME
 * writes them), each bad value is reported at its line. */
#define ACME_HEAD                                                                                            \
    "[gateway]\nlisten_http = 127.0.0.1:18080\n[tls]\n"                                                      \
    "certificate = www.foobar.com @DIR@/acme.crt @DIR@/acme.key\nacme = yes\n"
#define ACME_TAIL "[backend web-01]\naddress = 198.19.0.11\n"

static void expect_first_error(const char *text, const char *message)
{
    write_config(text);
    struct config_errors e;
    struct config *c = config_load(path, &e);
    if (c) {
        config_free(c);
        fail_msg("loaded, but expected: %s", message);
    }
    char expected[512];
    expand(message, expected, sizeof expected);
    if (strncmp(e.msg[0] + strlen(path), expected, strlen(expected)) != 0)
        fail_msg("got '%s', expected '%s...'", e.msg[0] + strlen(path), expected);
}

static void test_acme_keys(void **state)
{
    (void)state;
    write_config(ACME_HEAD
                 "acme_directory = https://acme.test:14000/dir\nacme_contact = mailto:ops@foobar.com\n"
                 "acme_key_type = rsa\nacme_ca_file = @DIR@/site.crt\nacme_state_dir = @DIR@/state\n"
                 "acme_order_timeout = 5m\n" ACME_TAIL);
    struct config_errors e;
    struct config *c = config_load(path, &e);
    if (!c)
        fail_msg("%s", e.msg[0]);
    assert_true(c->tls.acme.enabled);
    assert_string_equal(c->tls.acme.directory, "https://acme.test:14000/dir");
    assert_string_equal(c->tls.acme.contact, "mailto:ops@foobar.com");
    assert_int_equal(c->tls.acme.key_type, CONFIG_ACME_RSA);
    assert_int_equal(c->tls.acme.order_timeout_ms, 5 * 60 * 1000);
    assert_string_equal(c->tls.acme.user, "rampart-acme");
    assert_true(config_acme_may_create(c, 0)); /* no files yet: ACME writes them */
    config_acme_drop_pending(c);
    assert_int_equal(c->tls.server.n_certs, 0);
    config_free(c);

    write_config(ACME_HEAD "acme_directory = https://acme.test/dir\nacme_ca_file = @DIR@/site.crt\n"
                           "acme_challenges = tls-alpn-01, http-01\n" ACME_TAIL);
    c = config_load(path, &e);
    if (!c)
        fail_msg("%s", e.msg[0]);
    assert_int_equal(c->tls.acme.n_challenges, 2);
    assert_int_equal(c->tls.acme.challenges[0], 1); /* tls-alpn-01 first */
    assert_int_equal(c->tls.acme.challenges[1], 0);
    config_free(c);
    expect_first_error(ACME_HEAD
                       "acme_directory = https://acme.test/dir\nacme_challenges = dns-01\n" ACME_TAIL,
                       ":7: [tls] acme_challenges: 'dns-01' is not http-01 or tls-alpn-01");
    expect_first_error(
        ACME_HEAD "acme_directory = https://acme.test/dir\nacme_challenges = http-01, http-01\n" ACME_TAIL,
        ":7: [tls] acme_challenges: 'http-01' is not http-01 or tls-alpn-01, or is listed twice");
    expect_first_error(ACME_HEAD ACME_TAIL, ":5: [tls] acme = yes needs acme_directory");
    expect_first_error(ACME_HEAD "acme_directory = http://acme.test/dir\n" ACME_TAIL,
                       ":6: [tls] acme_directory: 'http://acme.test/dir' is not an https URL");
    expect_first_error(ACME_HEAD
                       "acme_directory = https://acme.test/dir\nacme_contact = ops@foobar.com\n" ACME_TAIL,
                       ":7: [tls] acme_contact: 'ops@foobar.com' is not 'mailto:ADDRESS'");
    expect_first_error(ACME_HEAD "acme_directory = https://acme.test/dir\nacme_state_dir = state\n" ACME_TAIL,
                       ":7: [tls] acme_state_dir: 'state' is not an absolute directory path");
    expect_first_error(ACME_HEAD "acme_directory = https://acme.test/dir\nacme_key_type = dsa\n" ACME_TAIL,
                       ":7: [tls] acme_key_type:");
    expect_first_error(ACME_HEAD
                       "acme_directory = https://acme.test/dir\nacme_ca_file = @DIR@/none.pem\n" ACME_TAIL,
                       ":7: [tls] acme_ca_file '@DIR@/none.pem': No such file or directory");
    expect_first_error(ACME_HEAD "acme_directory = https://acme.test/dir\nacme_ca_file = @DIR@/site.crt\n"
                                 "acme_user = root\n" ACME_TAIL,
                       ":8: [tls] acme_user 'root' is root");
    expect_first_error(ACME_HEAD "acme_directory = https://acme.test/dir\nacme_ca_file = @DIR@/site.crt\n"
                                 "acme_state_dir = @DIR@/site.key\n" ACME_TAIL,
                       ":8: [tls] acme_state_dir '@DIR@/site.key' is not a directory");
    expect_first_error(
        "[gateway]\nlisten_http = 127.0.0.1:18080\n[tls]\ncertificate = *.foobar.com @DIR@/a.crt "
        "@DIR@/a.key\nacme = yes\nacme_directory = https://acme.test/dir\nacme_ca_file = "
        "@DIR@/site.crt\n" ACME_TAIL,
        ":4: [tls] certificate '*.foobar.com': a wildcard needs the dns-01 challenge");
}

/* [tls] acme_instance: an enabled VRRP instance ("vrrp" for [vrrp]). */
#define ACME_PAIR_HEAD ACME_HEAD "acme_directory = https://acme.test/dir\nacme_ca_file = @DIR@/site.crt\n"
#define ACME_PAIR_VRRP                                                                                       \
    "[vrrp a]\ninterface = eth0\nvirtual_ip = 198.18.0.10/24\n"                                              \
    "[vrrp b]\ninterface = eth0\nvrid = 52\nvirtual_ip = 198.18.0.11/24\n"                                   \
    "[vrrp c]\nenabled = no\ninterface = eth0\nvrid = 53\nvirtual_ip = 198.18.0.12/24\n"

static void test_acme_instance(void **state)
{
    (void)state;
    write_config(ACME_PAIR_HEAD "acme_instance = b\n" ACME_TAIL ACME_PAIR_VRRP);
    struct config_errors e;
    struct config *c = config_load(path, &e);
    if (!c)
        fail_msg("%s", e.msg[0]);
    assert_string_equal(c->tls.acme.instance, "b");
    config_free(c);
    write_config(ACME_PAIR_HEAD ACME_TAIL ACME_PAIR_VRRP); /* default: the first */
    c = config_load(path, &e);
    assert_non_null(c);
    assert_string_equal(c->tls.acme.instance, "");
    config_free(c);
    expect_first_error(ACME_PAIR_HEAD "acme_instance = nope\n" ACME_TAIL ACME_PAIR_VRRP,
                       ":8: [tls] acme_instance 'nope' is not an enabled VRRP instance");
    expect_first_error(ACME_PAIR_HEAD "acme_instance = c\n" ACME_TAIL ACME_PAIR_VRRP,
                       ":8: [tls] acme_instance 'c' is not an enabled VRRP instance");
    expect_first_error(ACME_PAIR_HEAD "acme_instance = vrrp\n" ACME_TAIL ACME_PAIR_VRRP,
                       ":8: [tls] acme_instance 'vrrp' is not an enabled VRRP instance");
}

static void test_vrrp_disabled_instance_not_checked(void **state)
{
    (void)state;
    write_config(VALID_HEAD "[vrrp a]\ninterface = eth0\nvirtual_ip = 198.18.0.10/24\n"
                            "[vrrp b]\nenabled = no\ninterface = eth0\nvirtual_ip = 198.18.0.10/24\n");
    struct config_errors e;
    struct config *c = config_load(path, &e);
    assert_non_null(c);
    config_free(c);
}

#define N_BAD (sizeof bad_cases / sizeof bad_cases[0])

int main(void)
{
    /* The named tests (counted, so none is overwritten), then one per
     * malformed file. */
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_minimal_config_loads),
        cmocka_unit_test(test_example_file_loads),
        cmocka_unit_test(test_values_are_parsed),
        cmocka_unit_test(test_http2_defaults),
        cmocka_unit_test(test_issue10_keys),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_key_owner),
        cmocka_unit_test(test_backend_limit),
        cmocka_unit_test(test_vrrp_instance_limit),
        cmocka_unit_test(test_vrrp_instances),
        cmocka_unit_test(test_vrrp_disabled_instance_not_checked),
        cmocka_unit_test(test_peer_section),
        cmocka_unit_test(test_bgp_section),
        cmocka_unit_test(test_acme_keys),
        cmocka_unit_test(test_acme_instance),
    };
    enum { N_FIXED = sizeof fixed / sizeof fixed[0] };
    struct CMUnitTest tests[N_FIXED + N_BAD];
    memcpy(tests, fixed, sizeof fixed);
    static char names[N_BAD][48];
    for (size_t i = 0; i < N_BAD; i++) {
        snprintf(names[i], sizeof names[i], "malformed_%02zu", i + 1);
        tests[N_FIXED + i] =
            (struct CMUnitTest)cmocka_unit_test_prestate(test_malformed_file, (void *)&bad_cases[i]);
        tests[N_FIXED + i].name = names[i];
    }
    return _cmocka_run_group_tests("config", tests, N_FIXED + N_BAD, setup, teardown);
}
