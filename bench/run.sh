#!/usr/bin/env bash
# bench/run.sh: Rampart and HAProxy side by side, in one run, on this machine.
#
#   sudo bench/run.sh [SECONDS_PER_MEASUREMENT] [IDLE_CONNECTIONS]
#   (defaults 6 and 5000; the whole run takes about 4 minutes; CRYPTO=0
#   skips the raw crypto figures at the end, 40 s of them)
#
# Both proxies get the same ECDSA P-256 certificate, the same two nginx
# backends (a 600-byte page and a 1 MiB file), 2 worker threads each, and
# run in one network namespace created here, on 127.0.0.1. Measured, for
# each proxy in turn (the other one idles):
#   keep-alive   wrk -t2 -c50 --latency on the 600-byte page: req/s, p50, p99;
#                and the same with -c1000 (1,000 handshakes, then keep-alive)
#   handshakes   openssl s_time -new (full) and -reuse (resumed), TLS 1.3 and
#                1.2, $HS_CLIENTS clients in parallel; counted by the SERVER
#                (rampart /metrics, haproxy ssl counters), per wall second and
#                per second of the server's own CPU time
#   h2           h2load -t2 -c50 -m10 on the 600-byte page over HTTP/2: req/s,
#                p50, p99 (from h2load's per-request log)
#   bulk         wrk -t2 -c8 on the 1 MiB file: MB/s
#   idle memory  bench/idle_conns.py opens N TLS 1.3 connections, one request
#                on each, then holds them: RSS of all server processes
#                before/after, KiB per connection; again with HTTP/2 ones
# and prints the Rampart/HAProxy ratio of each. Clients and servers share
# the machine's cores; the load average is printed with the results.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
RAMPART_ROOT=$(cd "$BENCH_DIR/.." && pwd)
DUR=${1:-6}
IDLE=${2:-5000}
HS_CLIENTS=${HS_CLIENTS:-4}
T_TAG=${T_TAG:-bn$$}
export RAMPART_ROOT T_TAG
# shellcheck source=tests/integration/lib.sh
. "$RAMPART_ROOT/tests/integration/lib.sh"
# shellcheck source=tests/integration/lib_process.sh
. "$RAMPART_ROOT/tests/integration/lib_process.sh"
# shellcheck source=tests/integration/lib_proxy.sh
. "$RAMPART_ROOT/tests/integration/lib_proxy.sh"
# shellcheck source=bench/lib_bench.sh
. "$BENCH_DIR/lib_bench.sh"

case "$DUR$IDLE" in *[!0-9]*) echo "usage: bench/run.sh [SECONDS] [IDLE_CONNECTIONS]" >&2; exit 2 ;; esac
bn_setup bench/run.sh "$IDLE"
SERVERS="rampart haproxy"

# ---- measurements ---------------------------------------------------------------
T_START=$SECONDS
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for s in $SERVERS; do
  R[$s.cipher13]=$(bn_in timeout 5 openssl s_client -connect "127.0.0.1:${BN_PORT[$s]}" -tls1_3 </dev/null 2>/dev/null |
    sed -n 's/^New, TLSv1.3, Cipher is //p')
  R[$s.cipher12]=$(bn_in timeout 5 openssl s_client -connect "127.0.0.1:${BN_PORT[$s]}" -tls1_2 </dev/null 2>/dev/null |
    sed -n 's/^New, TLSv1.2, Cipher is //p')
done
echo "== keep-alive: wrk -t2 -c50 -d${DUR}s --latency /page.html (600 bytes)" >&2
for s in $SERVERS; do bn_wrk "$s" /page.html 50 "$DUR"; done
for s in $SERVERS; do
  R[$s.ka_rps]=${R[$s.rps]}; R[$s.ka_p50]=${R[$s.p50]}; R[$s.ka_p99]=${R[$s.p99]}
  R[$s.ka_cpu]=${R[$s.cpu]}; R[$s.ka_errors]=${R[$s.errors]}
done
echo "== keep-alive at 1,000 connections: wrk -t2 -c1000 -d${DUR}s --latency /page.html" >&2
for s in $SERVERS; do bn_wrk "$s" /page.html 1000 "$DUR"; done
for s in $SERVERS; do
  R[$s.k1_rps]=${R[$s.rps]}; R[$s.k1_p50]=${R[$s.p50]}; R[$s.k1_p99]=${R[$s.p99]}
  R[$s.k1_cpu]=${R[$s.cpu]}; R[$s.k1_errors]=${R[$s.errors]}
  R[$s.k1_rps_cpu]=$(awk -v r="${R[$s.k1_rps]}" -v c="${R[$s.k1_cpu]}" 'BEGIN {printf "%.0f", c ? 100 * r / c : 0}')
done
echo "== handshakes: $HS_CLIENTS x openssl s_time, ${DUR}s each" >&2
for s in $SERVERS; do
  bn_handshakes "$s" full13 -new -tls1_3
  bn_handshakes "$s" full12 -new -tls1_2
  bn_handshakes "$s" res13 -reuse -tls1_3
  bn_handshakes "$s" res12 -reuse -tls1_2
done
echo "== h2: h2load -t2 -c50 -m10 -D${DUR}s /page.html (600 bytes)" >&2
for s in $SERVERS; do bn_h2load "$s" /page.html 50 10 "$DUR"; done
echo "== bulk: wrk -t2 -c8 -d${DUR}s /big.bin (1 MiB)" >&2
for s in $SERVERS; do
  bn_wrk "$s" /big.bin 8 "$DUR"
  R[$s.bulk_errors]=${R[$s.errors]}; R[$s.bulk_cpu]=${R[$s.cpu]}
done
# per second of the server's own CPU: less sensitive to what else runs
for s in $SERVERS; do
  R[$s.ka_rps_cpu]=$(awk -v r="${R[$s.ka_rps]}" -v c="${R[$s.ka_cpu]}" 'BEGIN {printf "%.0f", c ? 100 * r / c : 0}')
  R[$s.mbps_cpu]=$(awk -v r="${R[$s.mbps]}" -v c="${R[$s.bulk_cpu]}" 'BEGIN {printf "%.0f", c ? 100 * r / c : 0}')
done
echo "== idle: $IDLE TLS 1.3 connections, one request each, then idle" >&2
for s in $SERVERS; do bn_idle "$s" "$IDLE"; done
echo "== idle: $IDLE HTTP/2 connections, one request each, then idle" >&2
for s in $SERVERS; do bn_idle "$s" "$IDLE" --h2; done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report -----------------------------------------------------------------------
# row LABEL KEY BETTER(higher|lower) UNIT
row() {
  awk -v l="$1" -v a="${R[rampart.$2]:-0}" -v b="${R[haproxy.$2]:-0}" -v w="$3" -v u="$4" 'BEGIN {
    r = (b > 0) ? a / b : 0
    printf "| %-42s | %10s | %10s | %5.2f | %-6s |\n", l " (" u ")", a, b, r, w }'
}
cat <<REPORT
Rampart vs HAProxy $(haproxy -v | awk 'NR == 1 {print $3}'), $(date -u '+%Y-%m-%d %H:%M UTC')
machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), shared by clients and servers
load average: $LOAD_BEFORE before, $LOAD_AFTER after; $DUR s per measurement, $HS_CLIENTS s_time clients
both: 2 worker threads, ECDSA P-256 certificate, two nginx backends, 127.0.0.1 in one netns
TLS 1.3 cipher: rampart ${R[rampart.cipher13]:-?}, haproxy ${R[haproxy.cipher13]:-?}
TLS 1.2 cipher: rampart ${R[rampart.cipher12]:-?}, haproxy ${R[haproxy.cipher12]:-?}

| measurement                                |    Rampart |    HAProxy |   R/H | better |
|--------------------------------------------|-----------:|-----------:|------:|--------|
$(row "keep-alive 600 B page" ka_rps higher "req/s")
$(row "keep-alive p50" ka_p50 lower "ms")
$(row "keep-alive p99" ka_p99 lower "ms")
$(row "keep-alive per server CPU-s" ka_rps_cpu higher "req/CPU-s")
$(row "keep-alive server CPU" ka_cpu "-" "%")
$(row "keep-alive -c1000" k1_rps higher "req/s")
$(row "keep-alive -c1000 p50" k1_p50 lower "ms")
$(row "keep-alive -c1000 p99" k1_p99 lower "ms")
$(row "keep-alive -c1000 per server CPU-s" k1_rps_cpu higher "req/CPU-s")
$(row "keep-alive -c1000 server CPU" k1_cpu "-" "%")
$(row "h2 600 B page, -c50 -m10" h2_rps higher "req/s")
$(row "h2 p50" h2_p50 lower "ms")
$(row "h2 p99" h2_p99 lower "ms")
$(row "h2 per server CPU-s" h2_rps_cpu higher "req/CPU-s")
$(row "h2 server CPU" h2_cpu "-" "%")
$(row "full TLS 1.3 handshakes" full13 higher "/s")
$(row "full TLS 1.2 handshakes" full12 higher "/s")
$(row "resumed TLS 1.3 handshakes" res13 higher "/s")
$(row "resumed TLS 1.2 handshakes" res12 higher "/s")
$(row "full TLS 1.3 per server CPU-s" full13_cpu higher "/CPU-s")
$(row "full TLS 1.2 per server CPU-s" full12_cpu higher "/CPU-s")
$(row "resumed TLS 1.3 per server CPU-s" res13_cpu higher "/CPU-s")
$(row "resumed TLS 1.2 per server CPU-s" res12_cpu higher "/CPU-s")
$(row "1 MiB download" mbps higher "MB/s")
$(row "1 MiB download per server CPU-s" mbps_cpu higher "MB/CPU-s")
$(row "1 MiB download server CPU" bulk_cpu "-" "%")
$(row "RSS per idle TLS connection" idle_kib lower "KiB")
$(row "RSS per idle h2 connection" idle2_kib lower "KiB")

REPORT
for s in $SERVERS; do
  echo "$s: keep-alive errors ${R[$s.ka_errors]} (-c1000: ${R[$s.k1_errors]}), h2 errors ${R[$s.h2_errors]}, bulk errors ${R[$s.bulk_errors]}, idle RSS ${R[$s.idle_rss]} for ${R[$s.idle_n]} connections, h2 ${R[$s.idle2_rss]} for ${R[$s.idle2_n]}"
  echo "  idle RSS by process (KiB, before -> after): TLS ${R[$s.idle_procs]}; h2 ${R[$s.idle2_procs]}"
  for k in full13 full12 res13 res12; do
    echo "  $k: server CPU ${R[$s.${k}_pct]}%, clients saw ${R[$s.${k}_client]}${R[$s.${k}_server]:+, server counted ${R[$s.${k}_server]}}"
  done
done
echo "measurements took $((SECONDS - T_START)) s"

# ---- raw crypto: where the TLS library is the limit -------------------------------
if [ "${CRYPTO:-1}" = 1 ]; then
  echo
  echo "crypto, one core: through PSA, mbedTLS's built-in code vs rampart's drivers (bench/crypto_speed.c), and OpenSSL $(openssl version | awk '{print $2}')"
  make -s -C "$RAMPART_ROOT" BUILD="$RAMPART_BUILD" bench-bin >/dev/null
  timeout 120 "$RAMPART_BUILD/bench/crypto_speed" 0.5 | sed 's/^/ /'
  timeout 30 openssl speed -elapsed -seconds 1 ecdsap256 ecdhx25519 2>/dev/null |
    awk '/ecdsa \(nistp256\)/ {printf "  openssl  ECDSA-secp256r1 %.0f sign/s, %.0f verify/s\n", $(NF-1), $NF}
         /ecdh \(X25519\)/ {printf "  openssl  X25519 %.0f op/s (a handshake needs 2)\n", $NF}'
  timeout 30 openssl speed -elapsed -seconds 1 -bytes 16384 -evp aes-128-gcm 2>/dev/null |
    awk '/^AES-128-GCM/ {printf "  openssl  AES-128-GCM %.0f KiB/s (16 KiB records)\n", $2 * 1000 / 1024}'
  timeout 30 openssl speed -elapsed -seconds 1 -bytes 16384 -evp aes-256-gcm 2>/dev/null |
    awk '/^AES-256-GCM/ {printf "  openssl  AES-256-GCM %.0f KiB/s (16 KiB records)\n", $2 * 1000 / 1024}'
fi
