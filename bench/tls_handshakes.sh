#!/usr/bin/env bash
# bench/tls_handshakes.sh: what the TLS layer alone can do on this machine.
#
#   bench/tls_handshakes.sh [SECONDS_PER_RUN] [IDLE_CONNECTIONS]
#
# Builds bench/tls_server (tls/ + one epoll loop, one thread) with an ECDSA
# P-256 certificate on 127.0.0.1 and measures, counting what the *server*
# did (tls_stats, read with SIGUSR1) and the server's own CPU time:
#   - full TLS 1.3 and TLS 1.2 handshakes/s  (openssl s_time -new), for an
#     ECDSA P-256 and an RSA 2048 certificate, each signed in process and
#     through a key holder process (--keyholder: what the daemon does),
#     the two alternated twice so that a change in the machine's load hits
#     both alike
#   - resumed TLS 1.3 and TLS 1.2 handshakes/s (openssl s_time -reuse: tickets)
#   - RSS per idle TLS connection, with and without tls_conn_idle()
#   - the crypto primitives through PSA (bench/crypto_speed.c): the ceiling
# "per CPU-s" divides by the server's CPU seconds, which stays meaningful
# on a machine shared with other work. Runs are short and bounded.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DUR=${1:-4}
IDLE=${2:-2000}
CLIENTS=2
BUILD=${BUILD:-build}
DEPS=${DEPS:-.deps}
OUT=bench/out/tls
PORT=$((20000 + RANDOM % 20000))
mkdir -p "$OUT"

# bench/tls_server, linked as the daemon is (make bench-bin)
make -s BUILD="$BUILD" DEPS="$DEPS" bench-bin
cp "$BUILD/bench/tls_server" "$OUT/tls_server"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench \
  -keyout "$OUT/key.pem" -out "$OUT/cert.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench \
  -keyout "$OUT/rsa-key.pem" -out "$OUT/rsa-cert.pem" 2>/dev/null
CERT=$OUT/cert.pem KEY=$OUT/key.pem

SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

start_server() {
  "$OUT/tls_server" "$PORT" "$CERT" "$KEY" "$@" >"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do grep -q ready "$OUT/server.log" 2>/dev/null && return; sleep 0.1; done
  echo "tls_server did not start"; cat "$OUT/server.log"; exit 1
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

# "handshakes resumed cpu_ticks" of the server right now.
snapshot() {
  local n; n=$(wc -l <"$OUT/server.log")
  kill -USR1 "$SERVER_PID"
  for _ in $(seq 30); do [ "$(wc -l <"$OUT/server.log")" -gt "$n" ] && break; sleep 0.1; done
  local line; line=$(tail -n1 "$OUT/server.log")
  local t13 t12 res
  t13=$(sed -E 's/.*tls13=([0-9]+).*/\1/' <<<"$line")
  t12=$(sed -E 's/.*tls12=([0-9]+).*/\1/' <<<"$line")
  res=$(sed -E 's/.*resumed=([0-9]+).*/\1/' <<<"$line")
  # the server's CPU and its key holder's (--keyholder), all threads
  local cpu=0 p
  for p in $SERVER_PID $(cat /proc/"$SERVER_PID"/task/*/children 2>/dev/null); do
    cpu=$((cpu + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$((t13 + t12)) $res $cpu"
}

# measure LABEL KIND(full|resumed) s_time-args...
measure() {
  local label=$1 kind=$2; shift 2
  read -r h0 r0 c0 < <(snapshot)
  local t0; t0=$(date +%s.%N)
  for _ in $(seq "$CLIENTS"); do
    timeout $((DUR + 10)) openssl s_time -connect "127.0.0.1:$PORT" -time "$DUR" -www / "$@" \
      >/dev/null 2>&1 &
  done
  wait $(jobs -p | grep -v "^$SERVER_PID$") 2>/dev/null || true
  local t1; t1=$(date +%s.%N)
  read -r h1 r1 c1 < <(snapshot)
  local tick; tick=$(getconf CLK_TCK)
  awk -v l="$label" -v k="$kind" -v h=$((h1 - h0)) -v r=$((r1 - r0)) -v c=$((c1 - c0)) \
      -v t0="$t0" -v t1="$t1" -v tick="$tick" 'BEGIN {
        n = (k == "full") ? h - r : r; wall = t1 - t0; cpu = c / tick;
        printf "  %-30s %7.0f /s wall   %7.0f /CPU-s   (%d %s of %d handshakes, server CPU %.0f%%)\n",
               l, n / wall, (cpu > 0 ? n / cpu : 0), n, k, h, 100 * cpu / wall }'
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }

# idle_rss LABEL server-args...: KiB per idle connection with IDLE clients.
idle_rss() {
  local label=$1; shift
  start_server "$@"
  local before; before=$(rss_kib)
  local fifo=$OUT/idle.fifo; rm -f "$fifo"; mkfifo "$fifo"
  python3 bench/tls_idle_clients.py 127.0.0.1 "$PORT" "$IDLE" 1.3 <"$fifo" >"$OUT/idle.log" 2>&1 &
  local py=$!
  exec 9>"$fifo"
  for _ in $(seq 600); do grep -q held "$OUT/idle.log" && break; sleep 0.1; done
  sleep 0.5
  local after; after=$(rss_kib)
  exec 9>&-
  wait "$py" 2>/dev/null || true
  awk -v l="$label" -v b="$before" -v a="$after" -v n="$IDLE" \
    'BEGIN { printf "  %-24s %6.1f KiB per idle TLS 1.3 connection (%d connections, RSS %d -> %d KiB)\n",
             l, (a - b) / n, n, b, a }'
  stop_server
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== full handshakes (server: 1 thread; $CLIENTS openssl s_time clients, ${DUR}s each; X25519)"
echo "   signed in process, and through a key holder process (its CPU counted with the server's)"
for key in ecdsa rsa; do
  if [ $key = rsa ]; then CERT=$OUT/rsa-cert.pem KEY=$OUT/rsa-key.pem; else CERT=$OUT/cert.pem KEY=$OUT/key.pem; fi
  for round in 1 2; do
    for mode in "in process" "key holder"; do
      if [ "$mode" = "key holder" ]; then start_server --keyholder; else start_server; fi
      measure "$key $mode TLS 1.3" full -new -tls1_3
      measure "$key $mode TLS 1.2" full -new -tls1_2
      stop_server
    done
  done
done
CERT=$OUT/cert.pem KEY=$OUT/key.pem
echo "== resumed handshakes (ECDSA P-256, in process: a resumption signs nothing)"
start_server
measure "resumed TLS 1.3" resumed -reuse -tls1_3
measure "resumed TLS 1.2" resumed -reuse -tls1_2
kill -USR1 "$SERVER_PID"; sleep 0.3
echo "  server counters: $(tail -n1 "$OUT/server.log")"
stop_server

echo "== memory per idle connection"
idle_rss "with tls_conn_idle()"
idle_rss "without (--no-idle)" --no-idle

echo "== crypto through PSA on this machine (bench/crypto_speed.c, one core)"
timeout 120 "$BUILD/bench/crypto_speed" 0.5 | sed 's/^/  /'
