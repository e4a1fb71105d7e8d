/*
 * bench/keyholder_speed: what one signature costs through the key holder,
 * next to signing in process, with nothing else around it.
 *
 *   keyholder_speed CERT KEY [N]
 *
 * In process: N requests answered by tls_keyring_answer (psa_sign_hash,
 * nettle for P-256). Through a key holder: a child process loads the same
 * key and serves one SOCK_SEQPACKET channel with keyholder_serve_one, as
 * the daemon's key holder does; the caller sends each request and waits in
 * one blocking recv(), as the relay's signer does. Printed per signature:
 * wall time and CPU time (the caller's, the child's), three rounds each,
 * alternated. The difference is the price of the process boundary: two
 * wake-ups and four system calls per handshake.
 */
#include "gateway/proc/keyholder.h"
#include "tls/tls.h"
#include "tls/tls_keyring.h"
#include "tls/tls_keyreq.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_ROUNDS 3

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime + stime of pid, seconds. */
static double bench_cpu(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(line, 1, sizeof line - 1, fp) : 0;
    if (fp)
        fclose(fp);
    line[n] = '\0';
    char *p = strrchr(line, ')');
    unsigned long utime = 0, stime = 0;
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return 0;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void bench_request(struct tls_keyreq *req, unsigned i)
{
    uint8_t hash[32];
    memset(hash, (int)i, sizeof hash);
    tls_keyreq_sign(req, i, 0, TLS_KEY_ALG_ECDSA_SHA256, hash, sizeof hash);
}

static void bench_print(const char *what, unsigned n, double wall, double self, double child)
{
    printf("  %-24s %7.1f us wall  %7.1f us CPU per signature (caller %.1f, key holder %.1f)\n", what,
           wall / n * 1e6, (self + child) / n * 1e6, self / n * 1e6, child / n * 1e6);
}

static void bench_local(const struct tls_keyring *kr, unsigned n)
{
    uint8_t rep[TLS_KEYREP_MAX];
    struct tls_keyreq req;
    enum tls_keyreq_status st;
    double t0 = bench_now(), c0 = bench_cpu(getpid());
    for (unsigned i = 0; i < n; i++) {
        bench_request(&req, i);
        if (tls_keyring_answer(kr, &req, sizeof req, rep, sizeof rep, &st) == 0 || st != TLS_KEYREQ_OK)
            exit(1);
    }
    bench_print("in process", n, bench_now() - t0, bench_cpu(getpid()) - c0, 0);
}

static void bench_remote(int fd, pid_t child, unsigned n)
{
    uint8_t rep[TLS_KEYREP_MAX];
    struct tls_keyreq req;
    struct tls_keyrep out;
    const char *why;
    double t0 = bench_now(), c0 = bench_cpu(getpid()), k0 = bench_cpu(child);
    for (unsigned i = 0; i < n; i++) {
        bench_request(&req, i);
        ssize_t got =
            send(fd, &req, sizeof req, 0) == (ssize_t)sizeof req ? recv(fd, rep, sizeof rep, 0) : -1;
        if (got <= 0 || tls_keyrep_parse(rep, (size_t)got, req.seq, &out, &why) != 1 ||
            out.status != TLS_KEYREQ_OK)
            exit(1);
    }
    bench_print("through a key holder", n, bench_now() - t0, bench_cpu(getpid()) - c0, bench_cpu(child) - k0);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: keyholder_speed CERT KEY [N]\n");
        return 2;
    }
    unsigned n = argc > 3 ? (unsigned)atoi(argv[3]) : 20000;
    struct tls_config cfg = {.n_certs = 1};
    snprintf(cfg.certs[0].cert_file, TLS_PATH_MAX, "%s", argv[1]);
    snprintf(cfg.certs[0].key_file, TLS_PATH_MAX, "%s", argv[2]);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return 1;
    char err[512];
    pid_t child = fork();
    if (child == 0) { /* the key holder: its own key, loaded after the fork */
        close(sv[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        struct tls_keyring *kr = tls_keyring_load(&cfg, err, sizeof err);
        static struct keyholder_counts counts;
        enum tls_keyreq_status st;
        while (kr && (keyholder_serve_one(kr, sv[1], &counts, &st) > 0 || errno == EINTR))
            ;
        _exit(kr ? 0 : 1);
    }
    close(sv[1]);
    struct tls_keyring *kr = tls_keyring_load(&cfg, err, sizeof err);
    if (kr == NULL || child < 0) {
        fprintf(stderr, "keyholder_speed: %s\n", kr ? "fork failed" : err);
        return 1;
    }
    printf("one ECDSA P-256 signature (RFC 6979, SHA-256), %u per figure\n", n);
    for (unsigned r = 0; r < BENCH_ROUNDS; r++) {
        bench_local(kr, n);
        bench_remote(sv[0], child, n);
        fflush(stdout);
    }
    close(sv[0]);
    waitpid(child, NULL, 0);
    tls_keyring_free(kr);
    return 0;
}
