# shellcheck shell=bash
# Helpers for bench/run.sh (sourced after tests/integration/lib.sh,
# lib_process.sh and lib_proxy.sh, whose namespace, spawn/cleanup,
# certificate and nginx helpers it reuses). Everything runs inside the
# namespace $PX_NS on 127.0.0.1: nginx web-01 :18081 and web-02 :18082,
# rampart :18443 (admin :9100), haproxy :18444 (stats on a unix socket).

declare -A BN_PORT=([rampart]=18443 [haproxy]=18444)
declare -A PID=()   # server -> PID (rampart: its parent process)
BN_ADMIN=127.0.0.1:9100
BN_MAX_CONNS=${BN_MAX_CONNS:-5500}   # both proxies (run.sh: the idle count + 500)

# bn_in CMD...: CMD inside the bench namespace.
bn_in() { ip netns exec "$PX_NS" "$@"; }

# bn_require CMD...: exits with a clear message when a tool is missing.
bn_require() {
  local c missing=""
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing="$missing $c"; done
  [ -z "$missing" ] || { echo "bench: missing tools:$missing (Debian: apt-get install ...)" >&2; exit 1; }
}

# bn_tree PID: PID and all its descendants (rampart = parent + relay).
bn_tree() {
  local p
  echo "$1"
  # shellcheck disable=SC2013 # the file is one line of space-separated PIDs
  for p in $(cat /proc/"$1"/task/*/children 2>/dev/null); do bn_tree "$p"; done
}

# bn_rss_kib PID: VmRSS summed over the process tree, KiB.
bn_rss_kib() {
  local p sum=0 v
  for p in $(bn_tree "$1"); do
    v=$(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

# bn_rss_procs PID: "name:KiB" of every process of the tree (VmRSS, as
# the OS counts it), one word each; the name is the process's comm.
bn_rss_procs() {
  local p
  for p in $(bn_tree "$1"); do
    awk '/^Name:/ {n = $2} /^VmRSS:/ {r = $2} END {if (n != "") printf "%s:%d ", n, r}' /proc/"$p"/status 2>/dev/null
  done
}

# bn_cpu_ticks PID: user+system clock ticks summed over the process tree
# (all threads of each process are in its stat line).
bn_cpu_ticks() {
  local p sum=0 v
  for p in $(bn_tree "$1"); do
    v=$(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

# bn_rampart_conf FILE: rampart with the bench's limits, no access log.
# max_idle 512: h2load keeps 500 requests in flight, each on a backend
# connection of its own; HAProxy keeps every idle server connection by
# default (pool-max-conn -1), so both reuse them instead of reconnecting.
# Idle timeouts of 5 min (both proxies): opening the idle connections can
# take longer than the default minute on a loaded machine.
bn_rampart_conf() {
  cat >"$1" <<INI
[gateway]
listen_https = 127.0.0.1:${BN_PORT[rampart]}
listen_http =
workers = 2
user = nobody
access_log = off
[tls]
certificate = www.foobar.com $T_TMP/cert.pem $T_TMP/key.pem
; measured like HAProxy, which resumes TLS 1.2 with tickets; rampart's
; default is off (SECURITY.md: a 1.2 resumption skips ECDHE)
tickets_tls12 = yes
[backend web-01]
address = 127.0.0.1
port = 18081
max_idle = 512
[backend web-02]
address = 127.0.0.1
port = 18082
max_idle = 512
[health]
interval = 2s
[limits]
max_connections = $BN_MAX_CONNS
max_connections_per_ip = $BN_MAX_CONNS
; openssl s_time sends "GET / HTTP/1.0" without Host
allow_http10_without_host = yes
idle_timeout = 5m
[http2]
idle_timeout = 5m
[admin]
enabled = yes
listen = $BN_ADMIN
INI
}

# bn_haproxy_conf FILE: the same job for HAProxy, made to do the same
# work rampart does per request (X-Forwarded-For/-Proto, HSTS, httpchk).
bn_haproxy_conf() {
  cat "$T_TMP/cert.pem" "$T_TMP/key.pem" >"$T_TMP/haproxy.pem"
  cat >"$1" <<CFG
global
  nbthread 2
  maxconn $BN_MAX_CONNS
  stats socket $T_TMP/haproxy.sock mode 600 level admin
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 3s
  timeout client 5m
  timeout server 30s
  timeout http-request 10s
  timeout http-keep-alive 5m
  option forwardfor
frontend fe
  bind 127.0.0.1:${BN_PORT[haproxy]} ssl crt $T_TMP/haproxy.pem alpn h2,http/1.1
  http-request set-header X-Forwarded-Proto https
  http-response set-header Strict-Transport-Security "max-age=31536000"
  default_backend be
backend be
  balance roundrobin
  option httpchk GET /
  server web-01 127.0.0.1:18081 check inter 2s
  server web-02 127.0.0.1:18082 check inter 2s
CFG
}

# bn_setup PROG MAX_CLIENT_CONNS: checks the prerequisites, then starts in a
# new namespace the two nginx, rampart and HAProxy (PIDs in PID[server]),
# and waits until both proxies serve the page. Exits with PROG: why, if not.
bn_setup() {
  local prog=$1 p s
  [ "$(id -u)" -eq 0 ] || { echo "$prog: needs root (network namespace)" >&2; exit 1; }
  bn_require wrk h2load haproxy nginx openssl python3 curl ip awk timeout
  [ -x "$RAMPART_BUILD/rampart" ] || { echo "$prog: build rampart first (make)" >&2; exit 1; }
  BN_MAX_CONNS=$(($2 + 500))
  # HAProxy wants 2 descriptors per connection (+ a few)
  ulimit -n $((2 * BN_MAX_CONNS + 100)) 2>/dev/null ||
    { echo "$prog: cannot raise ulimit -n to $((2 * BN_MAX_CONNS + 100)) (hard limit $(ulimit -Hn))" >&2; exit 1; }
  netns_add bench >/dev/null || { echo "$prog: cannot create a namespace" >&2; exit 1; }
  PX_NS="$T_TAG-bench"
  # ephemeral ports above the servers' (18081-18444), and many of them
  bn_in sysctl -qw net.ipv4.ip_local_port_range="20000 65000"
  mkdir -p "$T_TMP/www"
  head -c 600 /dev/zero | tr '\0' 'p' >"$T_TMP/www/page.html"
  cp "$T_TMP/www/page.html" "$T_TMP/www/index.html"
  head -c $((1024 * 1024)) /dev/urandom >"$T_TMP/www/big.bin"
  proc_cert || { echo "$prog: openssl could not make the certificate" >&2; exit 1; }
  px_nginx web-01 18081
  px_nginx web-02 18082
  bn_rampart_conf "$T_TMP/rampart.ini"
  bn_haproxy_conf "$T_TMP/haproxy.cfg"
  PID[rampart]=$(spawn "$PX_NS" "$T_TMP/rampart.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/rampart.ini")
  PID[haproxy]=$(spawn "$PX_NS" "$T_TMP/haproxy.log" haproxy -db -f "$T_TMP/haproxy.cfg")
  for p in 18081 18082 "${BN_PORT[rampart]}" "${BN_PORT[haproxy]}"; do
    wait_port "$PX_NS" 127.0.0.1 "$p" || {
      echo "$prog: nothing listens on port $p" >&2
      tail -n 5 "$T_TMP/rampart.log" "$T_TMP/haproxy.log" >&2
      exit 1
    }
  done
  for s in rampart haproxy; do
    wait_for 10 bn_in curl -skf -o /dev/null "https://127.0.0.1:${BN_PORT[$s]}/page.html" ||
      { echo "$prog: $s does not serve /page.html" >&2; tail -n 5 "$T_TMP/$s.log" >&2; exit 1; }
  done
}

# bn_start SERVER: starts one proxy (PID[SERVER]) and waits until it serves.
bn_start() {
  local s=$1
  if [ "$s" = rampart ]; then
    PID[rampart]=$(spawn "$PX_NS" "$T_TMP/rampart.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/rampart.ini")
  else
    PID[haproxy]=$(spawn "$PX_NS" "$T_TMP/haproxy.log" haproxy -db -f "$T_TMP/haproxy.cfg")
  fi
  wait_port "$PX_NS" 127.0.0.1 "${BN_PORT[$s]}" &&
    wait_for 10 bn_in curl -skf -o /dev/null "https://127.0.0.1:${BN_PORT[$s]}/page.html"
}

# bn_restart SERVER: a fresh process, so a memory figure is not blurred by
# what earlier load left in its allocator.
bn_restart() {
  stop_pid "${PID[$1]}"
  bn_start "$1" || { echo "bench: $1 did not come back" >&2; tail -n 5 "$T_TMP/$1.log" >&2; }
}

# bn_haproxy_cmd CMD: one command on HAProxy's stats socket.
bn_haproxy_cmd() {
  python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while True:
    d = s.recv(65536)
    if not d: break
    out += d
sys.stdout.write(out.decode(errors="replace"))' "$T_TMP/haproxy.sock" "$1"
}

# bn_tls_counters SERVER: "FULL RESUMED" handshakes the server has completed so
# far (rampart: /metrics; haproxy: the frontend's ssl counters); prints
# nothing when the server cannot tell (rampart without its admin port).
bn_tls_counters() {
  if [ "$1" = rampart ]; then
    bn_in curl -sf --max-time 5 "http://$BN_ADMIN/metrics" 2>/dev/null | awk '
      /^rampart_tls_handshakes_total/ { h += $NF }
      /^rampart_tls_resumed_total/ { r += $NF }
      END { if (NR) printf "%d %d\n", h - r, r }'
  else
    # ssl_sess counts the full handshakes only, ssl_reused_sess the others
    bn_haproxy_cmd "show stat typed" | awk -F: '
      /^F\..*\.ssl_sess\./ { h = $NF } /^F\..*\.ssl_reused_sess\./ { r = $NF }
      END { printf "%d %d\n", h, r }'
  fi
}

# bn_to_ms VALUE_WITH_UNIT (wrk's 812.00us / 1.23ms / 1.01s) -> ms
bn_to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/) n *= 1000; printf "%.2f", n }'
}

# bn_to_mb VALUE_WITH_UNIT (wrk's 770.12MB / 1.02GB / 800KB) -> MB (MiB)
bn_to_mb() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /GB$/) n *= 1024; else if (v ~ /KB$/) n /= 1024;
    else if (v ~ /[0-9]B$/) n /= 1048576; printf "%.1f", n }'
}

# Results: R[SERVER.METRIC] = number; the table is printed from it.
declare -A R=()
BN_TICK=$(getconf CLK_TCK)

# bn_wrk SERVER PATH CONNS SECONDS: runs wrk against SERVER; sets
# R[SERVER.rps], .p50, .p99 (ms), .mbps, .cpu (server CPU %), .errors.
bn_wrk() {
  local s=$1 path=$2 conns=$3 dur=$4 out=$T_TMP/wrk-$1-$3.out c0 c1 t0 t1
  c0=$(bn_cpu_ticks "${PID[$s]}"); t0=$(date +%s.%N)
  bn_in timeout $((dur + 20)) wrk -t2 -c"$conns" -d"${dur}s" --latency \
    "https://127.0.0.1:${BN_PORT[$s]}$path" >"$out" 2>&1
  c1=$(bn_cpu_ticks "${PID[$s]}"); t1=$(date +%s.%N)
  R[$s.rps]=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
  R[$s.p50]=$(bn_to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  R[$s.p99]=$(bn_to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  R[$s.mbps]=$(bn_to_mb "$(awk '/^Transfer\/sec:/ {print $2}' "$out")")
  R[$s.cpu]=$(awk -v c=$((c1 - c0)) -v k="$BN_TICK" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", 100 * c / k / (b - a)}')
  R[$s.errors]=$(awk '/^  Non-2xx/ {n += $NF} /Socket errors/ {gsub(/[^0-9 ]/, ""); for (i = 1; i <= NF; i++) n += $i}
                      END {print n + 0}' "$out")
  [ -n "${R[$s.rps]}" ] || { echo "bench: wrk against $s failed:" >&2; tail -n 3 "$out" >&2; R[$s.rps]=0; }
}

# bn_handshakes SERVER KEY MODE VERSION: HS_CLIENTS parallel openssl s_time
# (-new: full handshakes, -reuse: resumed) for DUR seconds, one HTTP/1.0
# request per connection. Sets R[SERVER.KEY] (handshakes of that kind per
# wall second) and R[SERVER.KEY_cpu] (per second of server CPU). The count
# is the server's own when it reports one (haproxy ssl counters, rampart
# /metrics), else what the clients saw (s_time prints 'r' per resumed
# connection, '*' per full one - the server decides which).
bn_handshakes() {
  local s=$1 key=$2 mode=$3 ver=$4 i pids=() c0 c1 t0 t1 h0 h1 full res n
  read -r h0 < <(bn_tls_counters "$s" | tr ' ' ,)
  c0=$(bn_cpu_ticks "${PID[$s]}"); t0=$(date +%s.%N)
  for i in $(seq "$HS_CLIENTS"); do
    bn_in timeout $((DUR + 15)) openssl s_time -connect "127.0.0.1:${BN_PORT[$s]}" -time "$DUR" \
      -www /page.html "$mode" "$ver" >"$T_TMP/st-$s-$key-$i.out" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}" 2>/dev/null
  c1=$(bn_cpu_ticks "${PID[$s]}"); t1=$(date +%s.%N)
  read -r h1 < <(bn_tls_counters "$s" | tr ' ' ,)
  # s_time's progress lines: one character per connection
  full=$(cat "$T_TMP/st-$s-$key"-*.out | grep -E '^[*rt3]+$' | tr -cd '*' | wc -c)
  res=$(cat "$T_TMP/st-$s-$key"-*.out | grep -E '^[*rt3]+$' | tr -cd 'r' | wc -c)
  R[$s.${key}_client]="full=$full resumed=$res"
  if [ -n "$h0" ] && [ -n "$h1" ]; then
    full=$((${h1%,*} - ${h0%,*})); res=$((${h1#*,} - ${h0#*,}))
    R[$s.${key}_server]="full=$full resumed=$res"
  fi
  if [ "$mode" = -new ]; then n=$full; else n=$res; fi
  R[$s.$key]=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')
  R[$s.${key}_cpu]=$(awk -v n="$n" -v c=$((c1 - c0)) -v k="$BN_TICK" 'BEGIN {printf "%.0f", c ? n * k / c : 0}')
  R[$s.${key}_pct]=$(awk -v c=$((c1 - c0)) -v k="$BN_TICK" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", 100 * c / k / (b - a)}')
}

# bn_h2load SERVER PATH CONNS STREAMS SECONDS: h2load over HTTP/2 (ALPN
# h2), CONNS connections with STREAMS requests in flight on each; sets
# R[SERVER.h2_rps], .h2_p50, .h2_p99 (ms, from h2load's per-request log),
# .h2_cpu (server CPU %), .h2_errors (requests that failed or were not 2xx).
bn_h2load() {
  local s=$1 path=$2 conns=$3 streams=$4 dur=$5 out=$T_TMP/h2load-$1.out log=$T_TMP/h2load-$1.log c0 c1 t0 t1
  c0=$(bn_cpu_ticks "${PID[$s]}"); t0=$(date +%s.%N)
  bn_in timeout $((dur + 30)) h2load -t2 -c"$conns" -m"$streams" -D"$dur" --warm-up-time=1 --log-file="$log" \
    "https://127.0.0.1:${BN_PORT[$s]}$path" >"$out" 2>&1
  c1=$(bn_cpu_ticks "${PID[$s]}"); t1=$(date +%s.%N)
  R[$s.h2_rps]=$(awk '/^finished in/ {gsub(/,/, ""); for (i = 1; i <= NF; i++) if ($(i+1) == "req/s") printf "%.0f", $i}' "$out")
  # the log: start (us since epoch), status, microseconds to the end of the response
  R[$s.h2_p50]=$(sort -n -k3,3 "$log" 2>/dev/null | awk '{v[NR] = $3} END {if (NR) printf "%.2f", v[int(NR * 0.50) + 1] / 1000}')
  R[$s.h2_p99]=$(sort -n -k3,3 "$log" 2>/dev/null | awk '{v[NR] = $3} END {if (NR) printf "%.2f", v[int(NR * 0.99) + 1] / 1000}')
  R[$s.h2_cpu]=$(awk -v c=$((c1 - c0)) -v k="$BN_TICK" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", 100 * c / k / (b - a)}')
  R[$s.h2_errors]=$(awk '/^requests:/ {gsub(/,/, ""); for (i = 1; i <= NF; i++) if ($(i+1) == "failed" || $(i+1) == "errored") n += $i}
                         /^status codes:/ {gsub(/,/, ""); n += $5 + $7 + $9} END {print n + 0}' "$out")
  R[$s.h2_rps_cpu]=$(awk -v r="${R[$s.h2_rps]:-0}" -v c="${R[$s.h2_cpu]}" 'BEGIN {printf "%.0f", c ? 100 * r / c : 0}')
  [ -n "${R[$s.h2_rps]}" ] || { echo "bench: h2load against $s failed:" >&2; tail -n 3 "$out" >&2; R[$s.h2_rps]=0; }
}

# bn_idle SERVER N [--h2]: opens N TLS 1.3 connections with one request
# each and holds them; R[SERVER.idle_kib] (with --h2: .idle2_kib) = RSS
# growth of the server per connection, measured on a fresh process.
bn_idle() {
  local s=$1 n=$2 h2=${3:-} before after held py fifo=$T_TMP/idle-$1.fifo log=$T_TMP/idle-$1.log i key=idle
  rm -f "$fifo"; mkfifo "$fifo"
  [ -n "$h2" ] && key=idle2
  bn_restart "$s"
  before=$(bn_rss_kib "${PID[$s]}")
  local procs_before
  procs_before=$(bn_rss_procs "${PID[$s]}")
  bn_in python3 "$BENCH_DIR/idle_conns.py" 127.0.0.1 "${BN_PORT[$s]}" "$n" /page.html $h2 <"$fifo" >"$log" 2>&1 &
  py=$!
  exec 9>"$fifo"
  for i in $(seq 1200); do grep -q '^held' "$log" && break; kill -0 "$py" 2>/dev/null || break; sleep 0.1; done
  sleep 1.5  # rampart frees the buffers of a connection after 200 ms idle
  after=$(bn_rss_kib "${PID[$s]}")
  R[$s.${key}_procs]="$procs_before-> $(bn_rss_procs "${PID[$s]}")"
  held=$(awk '/^held/ {print $2}' "$log")
  exec 9>&-
  wait "$py" 2>/dev/null
  R[$s.${key}_n]=${held:-0}
  R[$s.${key}_rss]="$before -> $after KiB"
  R[$s.${key}_kib]=$(awk -v a="$after" -v b="$before" -v n="${held:-0}" 'BEGIN {printf "%.1f", n ? (a - b) / n : 0}')
  grep -q '^errors' "$log" && echo "bench: idle clients against $s: $(grep '^errors' "$log")" >&2
  return 0
}
