#!/usr/bin/env bash
# bench/profile.sh: where Rampart's relay spends its cycles, and how many
# syscalls each proxy makes per keep-alive request. Same setup as run.sh
# (lib_bench.sh: one namespace, two nginx, rampart and HAProxy).
#
#   sudo bench/profile.sh [SECONDS]      (default 5; about 1.5 minutes)
#
#   perf      `perf record` on the relay during full TLS 1.3 / 1.2
#             handshakes, resumed TLS 1.3, the 1 MiB download and keep-alive;
#             the symbols summed by kind (kernel, ECDSA, X25519, SHA-2,
#             AES-GCM, malloc/memcpy, other)
#   syscalls  `strace -c -f` on each proxy during wrk -t1 -c10 keep-alive,
#             divided by the requests served
# Both tools slow the server down: the figures are shares, not rates.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
RAMPART_ROOT=$(cd "$BENCH_DIR/.." && pwd)
DUR=${1:-5}
T_TAG=${T_TAG:-bp$$}
export RAMPART_ROOT T_TAG
# shellcheck source=tests/integration/lib.sh
. "$RAMPART_ROOT/tests/integration/lib.sh"
# shellcheck source=tests/integration/lib_process.sh
. "$RAMPART_ROOT/tests/integration/lib_process.sh"
# shellcheck source=tests/integration/lib_proxy.sh
. "$RAMPART_ROOT/tests/integration/lib_proxy.sh"
# shellcheck source=bench/lib_bench.sh
. "$BENCH_DIR/lib_bench.sh"

case "$DUR" in '' | *[!0-9]*) echo "usage: bench/profile.sh [SECONDS]" >&2; exit 2 ;; esac
bn_require perf strace
bn_setup bench/profile.sh 100
# the child with worker threads (rampart-wN) is the relay
RELAY=
# shellcheck disable=SC2013 # the file is one line of space-separated PIDs
for p in $(cat /proc/"${PID[rampart]}"/task/*/children 2>/dev/null); do
  grep -qs '^rampart-w' /proc/"$p"/task/*/comm && RELAY=$p
done
[ -n "$RELAY" ] || { echo "bench/profile.sh: rampart has no relay process" >&2; exit 1; }

# kinds FILE: perf's symbols summed by kind, biggest first.
kinds() {
  perf report -i "$1" --no-children --sort sym --stdio -g none 2>/dev/null | awk '
    /^ +[0-9.]+%/ {
      p = $1 + 0; sym = $NF
      if ($2 == "[k]") k = "kernel (syscalls, TCP)"
      else if (sym ~ /^Hacl_|curve25519|scalarmult|sandy2x|fe25519|fe51_|ge25519/) k = "X25519 (libsodium)"
      else if (sym ~ /ecp|mpi|ecdsa|bignum|nettle_ecc|_nettle_sec|gmpn|mpn_/) k = "P-256 ECDSA/ECDH (nettle, GMP)"
      else if (sym ~ /sha512|sha256|sha1|md_|hkdf|hmac/) k = "SHA-2 / HKDF"
      else if (sym ~ /aes|gcm|ghash|cipher|chacha|poly/) k = "AEAD (intel-ipsec-mb)"
      else if (sym ~ /malloc|free|calloc|memmove|memset|memcpy|_int_/) k = "libc malloc/memcpy"
      else k = "other"
      t[k] += p
    }
    END { for (k in t) printf "  %5.1f%%  %s\n", t[k], k }' | sort -rn
}

# record NAME CMD...: perf on the relay while CMD (a load, in the namespace) runs.
record() {
  local name=$1
  shift
  perf record -g -p "$RELAY" -o "$T_TMP/perf-$name.data" -- sleep "$DUR" >"$T_TMP/perf.log" 2>&1 &
  local rec=$!
  "$@"
  wait "$rec"
  echo "== relay cycles, $name"
  [ -s "$T_TMP/perf-$name.data" ] || { echo "  perf record failed: $(tail -n 2 "$T_TMP/perf.log")"; return; }
  kinds "$T_TMP/perf-$name.data"
}

# stime MODE VERSION: 4 openssl s_time clients against rampart for DUR s.
stime() {
  local pids=()
  for _ in 1 2 3 4; do
    bn_in timeout $((DUR + 15)) openssl s_time -connect "127.0.0.1:${BN_PORT[rampart]}" -time "$DUR" \
      -www /page.html "$@" >/dev/null 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
}

wrk_on() { bn_in timeout $((DUR + 20)) wrk -t2 -c"$1" -d"${DUR}s" "https://127.0.0.1:${BN_PORT[rampart]}$2" >/dev/null; }

cd "$T_TMP" || exit 1
record "full TLS 1.3 handshakes" stime -new -tls1_3
record "full TLS 1.2 handshakes" stime -new -tls1_2
record "resumed TLS 1.3 handshakes" stime -reuse -tls1_3
record "1 MiB download" wrk_on 8 /big.bin
record "keep-alive 600 B page" wrk_on 50 /page.html

for s in rampart haproxy; do
  target=${PID[$s]}
  [ "$s" = rampart ] && target=$RELAY
  timeout $((DUR + 5)) strace -c -f -p "$target" -o "$T_TMP/strace-$s.txt" 2>/dev/null &
  st=$!
  sleep 0.5
  bn_in timeout $((DUR + 20)) wrk -t1 -c10 -d"${DUR}s" "https://127.0.0.1:${BN_PORT[$s]}/page.html" >"$T_TMP/wrk-$s.txt"
  kill -INT "$st" 2>/dev/null
  wait "$st"
  n=$(awk '/requests in/ {print $1}' "$T_TMP/wrk-$s.txt")
  echo "== $s: syscalls per keep-alive request ($n requests, strace -c)"
  awk -v n="${n:-0}" '$4 ~ /^[0-9]+$/ && n > 0 && $4 / n >= 0.01 {
      e = ($5 ~ /^[0-9]+$/) ? sprintf(" (%.2f failed)", $5 / n) : ""
      printf "  %-14s %6.2f%s\n", $NF, $4 / n, e }' "$T_TMP/strace-$s.txt"
done
