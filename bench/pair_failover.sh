#!/usr/bin/env bash
# The pair as one gateway (issue 13), measured with two whole daemons
# (`rampart -c FILE`) on a LAN of namespaces, next to keepalived; adverts
# every 100 ms, priorities 200 (master) and 100.
#
#   parent SIGKILL   the master's parent is killed: its guard sends
#                    priority 0 and removes the VIP. Takeover = the fault
#                    to the backup's VIP (`ip -ts monitor address`);
#                    "VIP left" = the dead node still has it 1 s later.
#                    keepalived: its parent is killed, its VRRP child sees
#                    it die and leaves (the behaviour the guard copies).
#   resumption       32 returning clients (bench/resume_load.py) through
#                    the VIP; the master's parent is killed 3 s in. Of the
#                    handshakes the new master made with a ticket the old
#                    one issued, how many resumed; and the handshakes a
#                    second, full and resumed, before and after, as the
#                    clients saw them. With the pair's shared keys, and
#                    with share_tickets = no (every node its own keys: the
#                    state before issue 13).
#
# Usage: bench/pair_failover.sh [RUNS]   (default 3; median (worst) shown)
set -u
export RAMPART_ROOT=${RAMPART_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$RAMPART_ROOT/tests/integration/lib.sh"
. "$RAMPART_ROOT/tests/integration/lib_process.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
RUNS=${1:-3}
require_root
vrrp_lan a b c >/dev/null
A=${VRRP_NS[a]} B=${VRRP_NS[b]} C=${VRRP_NS[c]}
proc_cert || exit 1
(umask 077 && openssl rand -hex 32 >"$T_TMP/peer.psk")
spawn "$C" "$T_TMP/web.log" python3 -m http.server -b 198.18.0.3 18081 >/dev/null

now() { date +%s.%N; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }

# gw_config NAME ME THEM PRIO SHARE: a daemon with [vrrp] and [peer]
gw_config() {
  proc_config "$T_TMP/$1.ini" "[vrrp]
enabled = yes
interface = eth0
vrid = $VRRP_VRID
priority = $4
advert_interval = 100ms
virtual_ip = $VRRP_VIP/24
penalty_no_backend = 0
[peer]
address = $3
listen = $2
psk_file = $T_TMP/peer.psk
share_tickets = $5
key_wait = 2s"
  sed -i "s/^listen_https = .*/listen_https = *:18443/; s/^listen_http = .*/listen_http = *:18080/; \
s/^port = 1808[12]/port = 18081/; s/^address = 127.0.0.1/address = 198.18.0.3/; \
s/^max_connections = .*/max_connections = 1000/; s/^max_connections_per_ip = .*/max_connections_per_ip = 100/" "$T_TMP/$1.ini"
}

start_rampart() { # SHARE: A master, B backup
  gw_config a 198.18.0.1 198.18.0.2 200 "$1"
  gw_config b 198.18.0.2 198.18.0.1 100 "$1"
  PA=$(spawn "$A" "$T_TMP/a.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/a.ini")
  PB=$(spawn "$B" "$T_TMP/b.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/b.ini")
  wait_for 10 has_vip "$A" && wait_for 10 wait_port "$A" 198.18.0.1 18443 && wait_port "$B" 198.18.0.2 18443 &&
    sleep 1 && has_vip "$A" && no_vip "$B"
}

start_keepalived() {
  PA=$(ka_start "$A" "ka$RANDOM" 200)
  wait_for 5 has_vip "$A"
  PB=$(ka_start "$B" "kb$RANDOM" 100)
  sleep 1.5
  has_vip "$A" && no_vip "$B"
}

stop_all() {
  stop_pid "$PA" TERM
  stop_pid "$PB" TERM
  ka_kill "$A"
  ka_kill "$B"
  ip -n "$A" addr del "$VRRP_VIP/24" dev eth0 2>/dev/null
  ip -n "$B" addr del "$VRRP_VIP/24" dev eth0 2>/dev/null
  sleep 0.3
}

# parent_kill IMPL: prints "TAKEOVER_MS VIP_LEFT"
parent_kill() {
  local impl=$1 mon=$T_TMP/mon.$RANDOM t0 tk="-" left
  if [ "$impl" = rampart ]; then start_rampart yes; else start_keepalived; fi || { stop_all; echo "fail fail"; return; }
  ip netns exec "$B" ip -ts monitor address >"$mon" 2>&1 &
  local monpid=$!
  sleep 0.3
  t0=$(now)
  kill -KILL "$PA" # rampart's parent; keepalived's parent (its VRRP child lives on)
  wait_for 3 has_vip "$B"
  sleep 1
  left=no
  has_vip "$A" && left=yes
  kill "$monpid" 2>/dev/null
  wait "$monpid" 2>/dev/null
  local ts
  ts=$(grep -m1 "inet $VRRP_VIP/" "$mon" | sed -nE 's/^\[([^]]+)\].*/\1/p')
  [ -n "$ts" ] && tk=$(ms_between "$t0" "$(date -d "$ts" +%s.%N)")
  stop_all
  echo "$tk $left"
}

# resumption SHARE: prints "RESUMED_PCT ATTEMPTS BEFORE_FULL BEFORE_RESUMED AFTER_FULL AFTER_RESUMED GAP_MS
# ALL_PCT ALL": the first, of the handshakes the new master made with a
# ticket from the old one; ALL_PCT of ALL, of every handshake after the fault
# that offered a ticket.
resumption() {
  local out=$T_TMP/load.$RANDOM kill_ns kill_ms
  start_rampart "$1" || { stop_all; echo "fail"; return; }
  ip netns exec "$C" python3 "$RAMPART_ROOT/bench/resume_load.py" "$VRRP_VIP" 18443 8 32 >"$out" &
  local load=$!
  sleep 3
  kill_ns=$(date +%s%N)
  kill -KILL "$PA"
  wait "$load"
  stop_all
  kill_ms=$(((kill_ns - $(awk '$1 == "#" && $2 == "start" { print $3; exit }' "$out")) / 1000000))
  [ -n "${PAIR_BENCH_KEEP:-}" ] && cp "$out" "$PAIR_BENCH_KEEP.$1" && echo "$kill_ms" >"$PAIR_BENCH_KEEP.$1.kill"
  # attempts after the fault with a ticket from before it; rates a second
  # in the 2 s before the fault and in the 2 s after service came back.
  # "After" starts 50 ms past the kill: a handshake the dying master had
  # nearly done may still end in the first milliseconds (its relay is
  # killed as the parent dies, not at the same instant), while the backup
  # cannot hold the VIP before its skew time (60 ms) has passed.
  awk -v k="$((kill_ms + 50))" -v kill="$kill_ms" '
    /^#/ { next }
    { t = $1; since = $2; res = $3; ok = $4 }
    ok && t > k && since >= 0 && since < kill { att++; if (res) got++ }
    ok && t > k && since >= 0 { all++; if (res) allgot++ }
    ok && t > k && (first == 0 || t < first) { first = t }
    ok && t >= kill - 2000 && t < kill { if (res) br++; else bf++ }
    { line[++nl] = $0 }
    END {
      for (i = 1; i <= nl; i++) { split(line[i], f, " ")
        if (f[4] && f[1] >= first && f[1] < first + 2000) { if (f[3]) ar++; else af++ } }
      printf "%.1f %d %d %d %d %d %d %.1f %d\n", att ? 100 * got / att : 0, att, bf / 2, br / 2, af / 2, ar / 2,
        first - kill, all ? 100 * allgot / all : 0, all }' "$out"
}

median_worst() { # VALUES...: "median (worst)" of integers, the worst the largest
  printf '%s\n' "$@" | sort -n | awk '{ v[n++] = $1 } END { printf "%s (%s)", v[int((n - 1) / 2)], v[n - 1] }'
}

printf '# parent SIGKILL, advert 100 ms, %s run(s); takeover ms, median (worst); VIP left on the dead node\n' "$RUNS"
printf '%-12s %-18s %-10s\n' impl takeover "VIP left"
for impl in ${PAIR_BENCH_KILL_IMPLS-rampart keepalived}; do
  tks=() lefts=""
  for _ in $(seq "$RUNS"); do
    read -r tk left < <(parent_kill "$impl")
    tks+=("$tk") lefts="$lefts $left"
  done
  printf '%-12s %-18s %-10s\n' "$impl" "$(median_worst "${tks[@]}")" "$(echo "$lefts" | tr ' ' '\n' | grep -c yes)/$RUNS"
done

printf '\n# resumption across a parent SIGKILL of the master, 32 returning clients, %s run(s)\n' "$RUNS"
printf '# old tickets: handshakes on the new master offering a ticket of the old one; all: every\n'
printf '# handshake after the fault that offered a ticket; rates: handshakes a second, full / resumed,\n'
printf '# 2 s before the fault (on the master) and 2 s after service came back (on the survivor)\n'
printf '%-15s %-20s %-20s %-16s %-16s %-10s\n' keys "old tickets resumed" "all resumed" "before full/res" "after full/res" "gap ms"
for share in yes no; do
  for _ in $(seq "$RUNS"); do
    read -r pct att bf br af ar gap allpct all < <(resumption "$share")
    printf '%-15s %-20s %-20s %-16s %-16s %-10s\n' "$([ "$share" = yes ] && echo "pair (shared)" || echo "own (no share)")" \
      "$pct% of $att" "$allpct% of $all" "$bf / $br" "$af / $ar" "$gap"
  done
done
