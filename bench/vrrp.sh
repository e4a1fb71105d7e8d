#!/usr/bin/env bash
# VRRP failover, Rampart next to keepalived, 100 ms adverts, on a LAN of
# network namespaces (two gateways, priorities 200/100, and a client).
#
#   takeover  fault -> the backup has the VIP (its `ip -ts monitor address`)
#   outage    the client's longest gap between ping replies to the VIP,
#             pinging every 10 ms (so ~10 ms means no outage)
#
# Sections (VRRP_BENCH_SECTIONS, default all of them):
#   single  one VIP. Faults: none (the measuring noise); SIGTERM the master;
#           SIGKILL it (its VIP stays configured, so the client is still
#           answered by its kernel: takeover only); its link going down;
#           for Rampart, the relay process lost (priority 0 at once); a
#           split brain healing in one direction first, each way.
#   aa      active-active: A Master of VIP-A, B of VIP-B (two instances
#           each); the faults hit A: VIP-A's takeover and outage next to the
#           single-VIP figures, and VIP-B's outage (it does not move; "none"
#           is the jitter of two pingers)
#   link    link loss found: the master's link goes down (admin down, or the
#           switch port loses carrier): from the kernel's link event to the
#           master removing its VIP (both in its own `ip -ts monitor`)
#   yield   a Master yielding while a split brain heals (it hears the better
#           one first): VIP removed -> its state log line, i.e. how long the
#           loop is held in between (Rampart only)
#   relay   `rampart -c` (relay, TLS, health checks) as the master, a VRRP
#           node as the backup: the relay SIGKILLed. How often clients moved
#           (the VIP changed node), the outage, and when the relay was ready
#           again; with the default relay_grace and with relay_grace = 0
#   parent  the parent of `rampart -c` (the master) SIGKILLed: its guard
#           sends priority 0 and removes the VIP; next to keepalived's
#           parent SIGKILLed (its VRRP child sees it and leaves). Takeover,
#           the client's outage, and whether the dead node kept the VIP
# Usage: bench/vrrp.sh [RUNS]   (default 3; the median and worst are shown)
#        VRRP_BENCH_FAULTS="sigterm heal_ab" bench/vrrp.sh 1   (a subset of "single")
#        VRRP_BENCH_SECTIONS="aa link" bench/vrrp.sh 1
set -u
export RAMPART_ROOT=${RAMPART_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$RAMPART_ROOT/tests/integration/lib.sh"
. "$RAMPART_ROOT/tests/integration/lib_process.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
RUNS=${1:-3}
WINDOW=4 # seconds of pinging (0.5 s before the fault, the rest after)
SECTIONS=${VRRP_BENCH_SECTIONS:-single aa link yield relay parent}
require_root
vrrp_build_driver || exit 1
proc_cert || exit 1
vrrp_lan a b c >/dev/null
A=${VRRP_NS[a]} B=${VRRP_NS[b]} C=${VRRP_NS[c]} SW=${VRRP_NS[sw]}
VRRP_ADVERT_CS=10

now() { date +%s.%N; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
holds() { ip -n "$1" -4 addr show dev eth0 | grep -q "inet $2/"; }
# epoch seconds of the Nth (default first) line of FILE matching ERE (an
# `ip -ts monitor` "[...]" stamp or a log line's leading ISO time), or nothing
first_ts() {
  local line ts
  line=$(grep -E "$2" "$1" | sed -n "${3:-1}p")
  [ -n "$line" ] || return 0
  ts=$(sed -nE 's/^\[([^]]+)\].*/\1/p; s/^([0-9]{4}-[0-9-]+T[0-9:.]+Z).*/\1/p' <<<"$line" | head -n1)
  [ -n "$ts" ] && date -d "$ts" +%s.%N
}
# since T0 FILE ERE [N]: ms from T0 to the Nth matching line, or "-"
since() {
  local t
  t=$(first_ts "$2" "$3" "${4:-1}")
  if [ -n "$t" ]; then ms_between "$1" "$t"; else echo "-"; fi
}

# The longest silence in a `ping -D` log, counting from T0 to the end of the window.
outage() {
  awk -v t0="$2" -v end="$WINDOW" '
    /bytes from/ { gsub(/[\[\]]/, "", $1); t[n++] = $1 }
    END { if (n == 0) { print "none"; exit }
          first = t[0]; last = t0; gap = 0
          for (i = 0; i < n; i++) if (t[i] >= t0) { if (t[i] - last > gap) gap = t[i] - last; last = t[i] }
          # still silent when the window closed: at least this long
          if (first + end - last > 0.5) { printf ">%d", (first + end - last) * 1000; exit }
          printf "%d", gap * 1000 }' "$1"
}

start_pings() { # FILE VIP: pings in the background, PID in PING_PID
  ip netns exec "$C" ping -D -n -i 0.01 -W 1 -w "$WINDOW" "$2" >"$1" 2>&1 &
  PING_PID=$!
}

start_pair() { # IMPL: A master (200), B backup (100)
  TAG_A=ra$RANDOM TAG_B=rb$RANDOM
  if [ "$1" = rampart ]; then
    PA=$(rp_start "$A" "$TAG_A" 200 -g 3 -G 20)
    PB=$(rp_start "$B" "$TAG_B" 100 -g 3 -G 20)
  else
    PA=$(ka_start "$A" "ka$RANDOM" 200)
    wait_for 5 has_vip "$A"
    PB=$(ka_start "$B" "kb$RANDOM" 100)
  fi
  wait_for 5 has_vip "$A" && sleep 1.5 && has_vip "$A" && no_vip "$B"
}

start_aa() { # IMPL: A master of VIP-A, B of VIP-B
  if [ "$1" = rampart ]; then
    PA=$(rp_start_aa "$A" "raa$RANDOM" 200 100)
    PB=$(rp_start_aa "$B" "rab$RANDOM" 100 200)
  else
    PA=$(ka_start_aa "$A" "kaa$RANDOM" 200 100)
    wait_for 5 has_vip "$A"
    PB=$(ka_start_aa "$B" "kab$RANDOM" 100 200)
  fi
  wait_for 5 holds "$B" "$VRRP_VIP_B" && sleep 1.5 && holds "$A" "$VRRP_VIP" && holds "$B" "$VRRP_VIP_B" &&
    ! holds "$B" "$VRRP_VIP"
}

stop_pair() {
  stop_pid "$PA" TERM
  stop_pid "$PB" TERM
  ka_kill "$A"
  ka_kill "$B"
  local ns v
  for ns in "$A" "$B"; do
    for v in "$VRRP_VIP" "$VRRP_VIP_B"; do ip -n "$ns" addr del "$v/24" dev eth0 2>/dev/null; done
    ip netns exec "$ns" nft delete table inet vrrpbench 2>/dev/null
  done
  ip -n "$A" link set eth0 up
  ip -n "$SW" link set pa up
  sleep 0.3
}

vrrp_block() {
  ip netns exec "$1" nft add table inet vrrpbench &&
    ip netns exec "$1" nft add chain inet vrrpbench in '{ type filter hook input priority 0; }' &&
    ip netns exec "$1" nft add rule inet vrrpbench in ip protocol 112 drop
}
vrrp_unblock() { ip netns exec "$1" nft delete table inet vrrpbench; }

fault() { # IMPL FAULT
  case $2 in
    sigterm) stop_pid "$PA" TERM ;;
    sigkill) if [ "$1" = rampart ]; then kill -KILL "$PA"; else ka_kill "$A"; fi ;;
    relay) kill -USR1 "$PA" ;;
    linkdown) ip -n "$A" link set eth0 down ;;
    carrier) ip -n "$SW" link set pa down ;; # the switch port: A's eth0 loses carrier
    heal_ba) vrrp_unblock "$A"; sleep 1; vrrp_unblock "$B" ;;
    heal_ab) vrrp_unblock "$B"; sleep 1; vrrp_unblock "$A" ;;
    none) ;;
  esac
}

# "median (worst)" of the runs; ">N" (silent until the window closed) sorts
# as N and keeps its mark; "-" when the figure does not apply.
summary() {
  [ "$1" = "-" ] && { echo "-"; return; }
  printf '%s\n' "$@" | awk '{ v = $1; sub(/^>/, "", v); print v, $1 }' | sort -n |
    awk '{ s[n++] = $2 } END { printf "%s (%s)", s[int((n - 1) / 2)], s[n - 1] }'
}

# runs IMPL FN ARGS...: RUNS runs of FN (printing one line of figures);
# prints the summary of each column, space-separated columns joined by "|".
runs() {
  local impl=$1 fn=$2 i c
  shift 2
  local -a lines=()
  for _ in $(seq "$RUNS"); do lines+=("$("$fn" "$impl" "$@")"); done
  local ncol
  ncol=$(awk '{ print NF }' <<<"${lines[0]}")
  for c in $(seq "$ncol"); do
    local -a col=()
    for i in "${lines[@]}"; do col+=("$(awk -v c="$c" '{ print $c }' <<<"$i")"); done
    printf '%s|' "$(summary "${col[@]}")"
  done
}

# ---- single VIP -----------------------------------------------------------------

# One run: prints "TAKEOVER_MS OUTAGE_MS" ("-" where it does not apply).
run_one() {
  local impl=$1 f=$2 mon=$T_TMP/mon.$RANDOM ping=$T_TMP/ping.$RANDOM t0 tk="-" out
  start_pair "$impl" || { stop_pair; echo "fail fail"; return; }
  ip -n "$C" neigh flush dev eth0
  if [[ $f == heal_* ]]; then
    vrrp_block "$A" && vrrp_block "$B"
    wait_for 3 has_vip "$B"
    # B's ARPs (keepalived sends a second set 5 s after taking over) are the
    # last the client saw, as in a split brain that lasted a while
    sleep 6
  fi
  ip netns exec "$C" ping -c 1 -W 1 "$VRRP_VIP" >/dev/null
  ip netns exec "$B" ip -ts monitor address >"$mon" 2>&1 &
  local monpid=$!
  start_pings "$ping" "$VRRP_VIP"
  sleep 0.5
  t0=$(now)
  fault "$impl" "$f"
  wait "$PING_PID"
  kill "$monpid" 2>/dev/null
  wait "$monpid" 2>/dev/null
  [[ $f != heal_* && $f != none ]] && tk=$(since "$t0" "$mon" "^\[.*inet $VRRP_VIP/")
  out=$(outage "$ping" "$t0")
  [ "$f" = sigkill ] && out="-" # the stale VIP still answers pings
  stop_pair
  echo "$tk $out"
}

section_single() {
  printf '\n# single VIP, advert 100 ms, %s run(s) each; ms, median (worst)\n' "$RUNS"
  printf '%-26s %-16s %-16s %-16s %-16s\n' "fault" "rampart takeover" "rampart outage" "keepalived takeover" \
    "keepalived outage"
  local f impl name
  for f in ${VRRP_BENCH_FAULTS:-none sigterm sigkill linkdown relay heal_ba heal_ab}; do
    local -a row=()
    for impl in rampart keepalived; do
      if [ "$impl" = keepalived ] && [ "$f" = relay ]; then row+=("n/a" "n/a"); continue; fi
      IFS='|' read -r -a cols <<<"$(runs "$impl" run_one "$f")"
      row+=("${cols[@]}")
    done
    case $f in
      none) name="no fault (ping jitter)" ;; sigterm) name="SIGTERM master" ;; sigkill) name="SIGKILL master" ;;
      linkdown) name="master link down" ;; relay) name="relay lost (prio 0)" ;;
      heal_ba) name="split brain heals B->A 1st" ;; heal_ab) name="split brain heals A->B 1st" ;;
    esac
    printf '%-26s %-16s %-16s %-16s %-16s\n' "$name" "${row[@]}"
  done
}

# ---- active-active ------------------------------------------------------------------

# One run: "VIP-A_TAKEOVER VIP-A_OUTAGE VIP-B_OUTAGE".
run_aa() {
  local impl=$1 f=$2 mon=$T_TMP/mon.$RANDOM pa=$T_TMP/pinga.$RANDOM pb=$T_TMP/pingb.$RANDOM t0 tk out_a out_b
  start_aa "$impl" || { stop_pair; echo "fail fail fail"; return; }
  ip -n "$C" neigh flush dev eth0
  ip netns exec "$C" ping -c 1 -W 1 "$VRRP_VIP" >/dev/null
  ip netns exec "$C" ping -c 1 -W 1 "$VRRP_VIP_B" >/dev/null
  ip netns exec "$B" ip -ts monitor address >"$mon" 2>&1 &
  local monpid=$!
  start_pings "$pa" "$VRRP_VIP"
  local ping_a=$PING_PID
  start_pings "$pb" "$VRRP_VIP_B"
  sleep 0.5
  t0=$(now)
  fault "$impl" "$f"
  wait "$ping_a" "$PING_PID"
  kill "$monpid" 2>/dev/null
  wait "$monpid" 2>/dev/null
  tk=$(since "$t0" "$mon" "^\[.*inet $VRRP_VIP/")
  [ "$f" = none ] && tk="-"
  out_a=$(outage "$pa" "$t0")
  out_b=$(outage "$pb" "$t0")
  [ "$f" = sigkill ] && out_a="-"
  stop_pair
  echo "$tk $out_a $out_b"
}

section_aa() {
  printf '\n# active-active (A master of VIP-A, B of VIP-B), the fault on A, %s run(s); ms, median (worst)\n' "$RUNS"
  printf '%-18s %-14s %-14s %-14s | %-14s %-14s %-14s\n' "fault" "rp A takeover" "rp A outage" "rp B outage" \
    "ka A takeover" "ka A outage" "ka B outage"
  local f impl
  for f in none sigterm sigkill linkdown; do
    local -a row=()
    for impl in rampart keepalived; do
      IFS='|' read -r -a cols <<<"$(runs "$impl" run_aa "$f")"
      row+=("${cols[@]}")
    done
    printf '%-18s %-14s %-14s %-14s | %-14s %-14s %-14s\n' "$f" "${row[@]}"
  done
}

# ---- link loss ----------------------------------------------------------------------

# One run: ms from the kernel's link event (its own `ip -ts monitor link`
# line: admin down, or carrier lost) to the master removing its VIP, i.e.
# detection plus reaction without the start of the `ip` command.
run_link() {
  local impl=$1 f=$2 mon=$T_TMP/mon.$RANDOM t_link t_del
  start_pair "$impl" || { stop_pair; echo "fail"; return; }
  ip netns exec "$A" ip -ts monitor link address >"$mon" 2>&1 &
  local monpid=$!
  sleep 0.3
  fault "$impl" "$f"
  wait_for 2 grep -q "Deleted.* inet $VRRP_VIP/" "$mon"
  kill "$monpid" 2>/dev/null
  wait "$monpid" 2>/dev/null
  t_link=$(first_ts "$mon" "^\[[^]]*\] [0-9]+: eth0.*(state DOWN|NO-CARRIER)")
  t_del=$(first_ts "$mon" "Deleted.* inet $VRRP_VIP/")
  if [ -n "$t_link" ] && [ -n "$t_del" ]; then ms_between "$t_link" "$t_del"; else echo "-"; fi
  stop_pair
}

section_link() {
  printf '\n# link loss found: the kernel reports the link down -> the master removes its VIP, %s run(s); ms, median (worst)\n' "$RUNS"
  printf '%-34s %-16s %-16s\n' "fault" "rampart" "keepalived"
  local f
  for f in linkdown carrier; do
    printf '%-34s %-16s %-16s\n' "$([ "$f" = linkdown ] && echo "admin down (ip link set down)" ||
      echo "carrier lost (switch port down)")" "$(runs rampart run_link "$f" | tr -d '|')" \
      "$(runs keepalived run_link "$f" | tr -d '|')"
  done
}

# ---- yield ----------------------------------------------------------------------------

# One run: ms between B removing its VIP (it yields: it hears A first) and
# B's state log line; and whether it sent ARPs on A's behalf.
run_yield() {
  local impl=$1 mon=$T_TMP/mon.$RANDOM t_del t_log
  start_pair "$impl" || { stop_pair; echo "fail"; return; }
  vrrp_block "$A" && vrrp_block "$B"
  wait_for 3 has_vip "$B"
  sleep 0.5
  local log_b=$T_TMP/$TAG_B.log
  ip netns exec "$B" ip -ts monitor address >"$mon" 2>&1 &
  local monpid=$!
  sleep 0.2
  vrrp_unblock "$B"
  wait_for 2 grep -q "Deleted.* inet $VRRP_VIP/" "$mon"
  sleep 0.3
  kill "$monpid" 2>/dev/null
  wait "$monpid" 2>/dev/null
  t_del=$(first_ts "$mon" "Deleted.* inet $VRRP_VIP/")
  t_log=$(first_ts "$log_b" "vrrp_state from=master to=backup")
  if [ -n "$t_del" ] && [ -n "$t_log" ]; then ms_between "$t_del" "$t_log"; else echo "-"; fi
  stop_pair
}

section_yield() {
  printf '\n# a Master yields (split brain heals A->B first): VIP removed -> its next log line, %s run(s); ms\n' "$RUNS"
  printf '%-34s %-16s\n' "" "rampart"
  printf '%-34s %-16s\n' "yield to the better master" "$(runs rampart run_yield | tr -d '|')"
}

# ---- the daemon's relay ---------------------------------------------------------------

# One run: "MOVES OUTAGE_MS RELAY_READY_MS" for `rampart -c` on A (relay_grace
# from $1: "default" or a duration) and a VRRP node (100) on B.
run_relay() {
  local grace=$1 mon=$T_TMP/mon.$RANDOM ping=$T_TMP/ping.$RANDOM tag=rd$RANDOM t0 moves
  local extra="[vrrp]
enabled = yes
interface = eth0
vrid = $VRRP_VRID
priority = 200
advert_interval = 100ms
virtual_ip = $VRRP_VIP/24"
  [ "$grace" != default ] && extra="$extra
[gateway]
relay_grace = $grace"
  proc_config "$T_TMP/$tag.ini" "$extra"
  local web
  web=$(spawn "$A" "$T_TMP/$tag.web.log" python3 -m http.server -b 127.0.0.1 18081)
  PA=$(spawn "$A" "$T_TMP/$tag.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/$tag.ini")
  PB=$(rp_start "$B" "rb$RANDOM" 100)
  if ! wait_for 15 has_vip "$A" || ! sleep 1.5 || ! has_vip "$A"; then
    stop_pid "$web" TERM
    stop_pair
    echo "fail fail fail"
    return
  fi
  ip netns exec "$C" ping -c 1 -W 1 "$VRRP_VIP" >/dev/null
  ip netns exec "$B" ip -ts monitor address >"$mon" 2>&1 &
  local monpid=$!
  start_pings "$ping" "$VRRP_VIP"
  sleep 0.5
  local relay readies
  relay=$(proc_relay "$PA")
  readies=$(grep -c "relay_ready proc=parent" "$T_TMP/$tag.log")
  t0=$(now)
  kill -KILL "$relay"
  wait "$PING_PID"
  kill "$monpid" 2>/dev/null
  wait "$monpid" 2>/dev/null
  moves=$(grep -c " inet $VRRP_VIP/" "$mon") # to B and back: each add or delete on B is a move
  echo "$moves $(outage "$ping" "$t0") $(since "$t0" "$T_TMP/$tag.log" "relay_ready proc=parent" $((readies + 1)))"
  stop_pid "$web" TERM
  stop_pair
}

section_relay() {
  printf '\n# the relay of `rampart -c` (master) SIGKILLed; %s run(s); median (worst)\n' "$RUNS"
  printf '%-30s %-16s %-16s %-16s\n' "relay_grace" "clients moved" "outage ms" "relay ready ms"
  local g
  for g in default 0; do
    IFS='|' read -r -a cols <<<"$(runs "$g" run_relay)"
    printf '%-30s %-16s %-16s %-16s\n' "$([ "$g" = default ] && echo "default (3 advert intervals)" ||
      echo "0 (hand over at once)")" "${cols[@]}"
  done
}

# ---- the daemon's parent ------------------------------------------------------------

# One run: "TAKEOVER_MS OUTAGE_MS VIP_LEFT" (VIP_LEFT 1 when the dead node
# still had the VIP 1 s after) for the master's parent SIGKILLed: IMPL
# rampart (`rampart -c`, the guard acting) or keepalived (its parent only).
run_parent() {
  local impl=$1 mon=$T_TMP/mon.$RANDOM ping=$T_TMP/ping.$RANDOM tag=rp$RANDOM t0 web="" left=0 tk
  if [ "$impl" = rampart ]; then
    proc_config "$T_TMP/$tag.ini" "[vrrp]
enabled = yes
interface = eth0
vrid = $VRRP_VRID
priority = 200
advert_interval = 100ms
virtual_ip = $VRRP_VIP/24"
    web=$(spawn "$A" "$T_TMP/$tag.web.log" python3 -m http.server -b 127.0.0.1 18081)
    PA=$(spawn "$A" "$T_TMP/$tag.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/$tag.ini")
    PB=$(rp_start "$B" "rb$RANDOM" 100)
  else
    PA=$(ka_start "$A" "ka$RANDOM" 200)
    wait_for 5 has_vip "$A"
    PB=$(ka_start "$B" "kb$RANDOM" 100)
  fi
  if ! wait_for 15 has_vip "$A" || ! sleep 1.5 || ! has_vip "$A" || ! no_vip "$B"; then
    [ -n "$web" ] && stop_pid "$web" TERM
    stop_pair
    echo "fail fail fail"
    return
  fi
  ip netns exec "$C" ping -c 1 -W 1 "$VRRP_VIP" >/dev/null
  ip netns exec "$B" ip -ts monitor address >"$mon" 2>&1 &
  local monpid=$!
  start_pings "$ping" "$VRRP_VIP"
  sleep 0.5
  t0=$(now)
  kill -KILL "$PA" # the parent alone: rampart's relay follows it, its guard acts
  wait_for 2 has_vip "$B"
  sleep 1
  has_vip "$A" && left=1
  wait "$PING_PID"
  kill "$monpid" 2>/dev/null
  wait "$monpid" 2>/dev/null
  tk=$(since "$t0" "$mon" " inet $VRRP_VIP/")
  echo "$tk $(outage "$ping" "$t0") $left"
  [ -n "$web" ] && stop_pid "$web" TERM
  stop_pair
}

section_parent() {
  printf '
# the master'"'"'s parent SIGKILLed (rampart: `rampart -c`, its guard acts); %s run(s); median (worst)
' "$RUNS"
  printf '%-14s %-16s %-16s %-18s
' "" "takeover ms" "outage ms" "VIP left on it"
  local impl
  for impl in rampart keepalived; do
    IFS='|' read -r -a cols <<<"$(runs "$impl" run_parent)"
    printf '%-14s %-16s %-16s %-18s
' "$impl" "${cols[@]}"
  done
}

for s in $SECTIONS; do "section_$s"; done
