# shellcheck shell=bash
# The tour's steps for N gateways behind ECMP (lab.sh up --bgp N), sourced
# by tour.sh: one function per step, printing the commands it runs and
# what it saw, returning 0 (pass) or 1. Load comes from lab/load.py in the
# client's namespace: many short HTTPS connections (one request each)
# from 16 source addresses, at most TOUR_LOAD_RATE a second.

TOUR_LOAD_RATE=${TOUR_LOAD_RATE:-100}
TOUR_SPREAD_TOLERANCE=${TOUR_SPREAD_TOLERANCE:-10} # percentage points around 100/N
TOUR_WAIT_S=${TOUR_WAIT_S:-20}                     # a gateway back in the ECMP within this

# The gateways in the router's ECMP route now (lab.sh announcers, without
# its start-up time: the steps poll it).
announcers() {
  local via h out=""
  via=$(ip -n "${P}router" route show "$VIP" 2>/dev/null | grep -o 'via [0-9.]*' | awk '{print $2}')
  for h in $TOUR_GATEWAYS; do grep -qx "$(gw_addr "$h")" <<<"$via" && out="$out $h"; done
  echo "${out# }"
}
in_ecmp() { [[ " $(announcers) " == *" $1 "* ]]; }
out_of_ecmp() { ! in_ecmp "$1"; }
now_ms() { date +%s%3N; }
conns() { metric "$1" rampart_connections_total; }
bird_router() { ip netns exec "${P}router" birdc -s "$RUN/router/bird.ctl" "$@"; }

wait_fast() { # SECONDS CMD...: polls CMD every 10 ms
  local end=$((SECONDS + $1))
  shift
  while [ $SECONDS -le $end ]; do "$@" && return 0; sleep 0.01; done
  return 1
}

# load_start NAME SECONDS: lab/load.py in the background into
# $RUN/load-NAME.txt; load_wait waits for it.
load_start() {
  LOAD_FILE=$RUN/load-$1.txt
  client "$TOUR_DIR/load.py" --address "$VIP" --ca "$CA" --sources 198.18.0.100-115 \
    --rate "$TOUR_LOAD_RATE" --duration "$2" >"$LOAD_FILE" 2>/dev/null &
  LOAD_PID=$!
}
load_wait() { wait "$LOAD_PID"; }

# load_counts FILE: "TOTAL OK FAILED SLOWEST_MS" of a load.py output.
load_counts() {
  awk '{ n++; if ($2 == 200) ok++; else failed++; if ($5 > max) max = $5 }
       END { printf "%d %d %d %d\n", n, ok, failed, max }' "$1"
}

# The router's view of gateway GW (its address on the link: the dynamic
# BGP protocols are numbered as they come, not by gateway).
gw_addr() { echo "198.18.8.$((4 * ${1#gw-} - 2))"; }
# bgp_session GW: "NAME STATE SINCE INFO" of its BGP protocol.
bgp_session() {
  bird_router show protocols all 2>/dev/null | awk -v a="$(gw_addr "$1")" '
    /^[a-z]/ { line = $1 " " $4 " " $5 " " $6 " " $7 " " $8 " " $9 " " $10 }
    /Neighbor address:/ && $3 == a { print line }'
}
# bfd_session GW: "STATE SINCE" of its BFD session.
bfd_session() {
  bird_router show bfd sessions 2>/dev/null | awk -v a="$(gw_addr "$1")" '$1 == a {print $3, $4}'
}
# bfd_down_ms GW: when its BFD session went down, in epoch milliseconds.
bfd_down_ms() {
  local state t
  read -r state t < <(bfd_session "$1")
  [ "$state" = Down ] && date -d "$t" +%s%3N
}

back_in_ecmp() {
  local h=$1
  show "lab/lab.sh start-gw $h"
  "$LAB" start-gw "$h" >/dev/null || return 1
  if wait_for_cmd "$TOUR_WAIT_S" in_ecmp "$h"; then
    echo "  $h is back in the router's ECMP: $(announcers)"
  else
    echo "  $h did not come back (ECMP: $(announcers))"
    return 1
  fi
}

step_bgp_ecmp() {
  show "ip netns exec ${P}router ip route show $VIP"
  ip -n "${P}router" route show "$VIP" | sed 's/^/  /'
  show "ip netns exec ${P}router birdc -s $RUN/router/bird.ctl show protocols"
  bird_router show protocols | awk 'NR > 1 && $2 == "BGP" && $1 != "gateways"' | sed 's/^/  /'
  local want have
  want=$TOUR_GATEWAYS have=$(announcers)
  echo "  in the ECMP: ${have:-none} (want: $want)"
  [ "$have" = "$want" ]
}

# Each gateway's share of the connections of one load run, from the
# difference of its rampart_connections_total.
step_bgp_spread() {
  local h before=() after=() total=0 i=0 rc=0 share lo hi n
  n=$(wc -w <<<"$TOUR_GATEWAYS")
  for h in $TOUR_GATEWAYS; do before+=("$(conns "$h")"); done
  show "ip netns exec ${P}client lab/load.py --address $VIP --sources 198.18.0.100-115 --rate $TOUR_LOAD_RATE --duration 10"
  load_start spread 10
  load_wait
  read -r tot ok failed slowest < <(load_counts "$LOAD_FILE")
  echo "  $tot connections: $ok answered, $failed failed (slowest ${slowest} ms)"
  for h in $TOUR_GATEWAYS; do after+=("$(conns "$h")"); done
  for i in "${!after[@]}"; do total=$((total + after[i] - before[i])); done
  [ "$total" -gt 0 ] || return 1
  lo=$((100 / n - TOUR_SPREAD_TOLERANCE)) hi=$((100 / n + TOUR_SPREAD_TOLERANCE + 1))
  i=0
  for h in $TOUR_GATEWAYS; do
    share=$(((after[i] - before[i]) * 1000 / total))
    printf '  %s: %d connections, %d.%d%% (rampart_connections_total)\n' "$h" "$((after[i] - before[i]))" \
      "$((share / 10))" "$((share % 10))"
    { [ "$share" -ge $((lo * 10)) ] && [ "$share" -le $((hi * 10 - 10)) ]; } || rc=1
    i=$((i + 1))
  done
  # shellcheck disable=SC2034 # read by demo.sh
  TOUR_SPREAD="$tot connections"
  echo "  each must be within $((100 / n))% ± ${TOUR_SPREAD_TOLERANCE} points"
  [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
}

# log_brief: log lines as "TIME event key=value ...".
log_brief() { awk '{ t = substr($1, 12, 12); $1 = ""; $2 = ""; sub(/^ +/, ""); print "  " t " " $0 }'; }

# drain_events GW: the log lines of the drain, in order.
drain_events() {
  grep -E 'bgp_withdraw|bgp_drain_wait|shutdown|relay_draining|proc=parent status=0' "$RUN/logs/$1.log" |
    tail -n 5 | log_brief
}

step_bgp_drain() {
  local h=${1:-gw-2} rc=0
  load_start drain 8
  sleep 2
  show "lab/lab.sh drain-gw $h      # SIGTERM: withdraw, wait drain_wait, then drain"
  "$LAB" drain-gw "$h"
  out_of_ecmp "$h" || rc=1
  load_wait
  read -r tot ok failed slowest < <(load_counts "$LOAD_FILE")
  echo "  $h's log:"
  drain_events "$h"
  echo "  requests during the drain: $tot, $ok answered, $failed failed (slowest ${slowest} ms)"
  grep -q 'bgp_withdraw.*reason=draining' "$RUN/logs/$h.log" || rc=1
  [ "$failed" -eq 0 ] || rc=1
  back_in_ecmp "$h" || rc=1
  return $rc
}

# The box dies: its uplink goes silent (carrier kept) and its processes
# are killed. The router's BFD notices; established connections on the
# box are lost, new ones go elsewhere.
step_bgp_crash() {
  local h=${1:-gw-1} rc=0 t0 gone
  load_start crash 8
  sleep 2
  show "lab/lab.sh kill-gw $h      # silence its uplink, SIGKILL rampart and BIRD"
  t0=$(now_ms)
  "$LAB" kill-gw "$h"
  if ! wait_for_cmd 10 out_of_ecmp "$h"; then
    echo "  $h is still in the ECMP"
    rc=1
  fi
  t0=$(cat "$RUN/$h/silenced-at" 2>/dev/null || echo "$t0") # when the silence took effect
  gone=$(bfd_down_ms "$h")
  load_wait
  read -r tot ok failed slowest < <(load_counts "$LOAD_FILE")
  echo "  router: BFD session $(bfd_session "$h"); BGP $(bgp_session "$h")"
  if [ -n "$gone" ]; then
    # shellcheck disable=SC2034 # read by demo.sh
    TOUR_BFD_MS=$((gone - t0))
    echo "  BFD declared $h down $((gone - t0)) ms after the crash (100 ms x 3); the route went with it"
  else
    echo "  the router's BFD session to $h is not down"
    rc=1
  fi
  echo "  requests: $tot, $ok answered, $failed failed (slowest ${slowest} ms: a SYN lost to the dead box is retried after 1 s)"
  back_in_ecmp "$h" || rc=1
  return $rc
}

# Rampart dies alone (BIRD and the links live on): its route device goes
# with it, BIRD withdraws at once, no BFD needed.
step_bgp_rampart_crash() {
  local h=${1:-gw-2} rc=0 t0 t1
  show "lab/lab.sh kill-rampart $h      # SIGKILL rampart only (its process group)"
  t0=$(now_ms)
  kill -KILL -- "-$(cat "$RUN/pids/$h.pid")" # what kill-rampart does, without its wait
  wait_fast 10 out_of_ecmp "$h" || rc=1
  t1=$(now_ms)
  "$LAB" kill-rampart "$h" # reaps, forgets the PID
  echo "  $h out of the ECMP after $((t1 - t0)) ms (polled every 10 ms); its BGP session stays up:"
  echo "  router: BGP $(bgp_session "$h"); BFD $(bfd_session "$h")"
  show "ip netns exec $P$h ip route show table 100"
  echo "  ($(ip -n "$P$h" route show table 100 | wc -l) routes: the device rampart100 died with the process)"
  [ -z "$(ip -n "$P$h" route show table 100)" ] || rc=1
  bgp_session "$h" | grep -q Established || rc=1
  back_in_ecmp "$h" || rc=1
  return $rc
}

# All backends of one gateway fail (its private link down): it withdraws
# within its health checks' fall time and gets no new flow.
step_bgp_backends_fail() {
  local h=${1:-gw-3} rc=0 t0 t1 c0 c1
  show "lab/lab.sh cut-backends $h      # its link to the web servers down"
  t0=$(now_ms)
  "$LAB" cut-backends "$h"
  wait_fast 10 out_of_ecmp "$h" || rc=1
  t1=$(now_ms)
  echo "  $h out of the ECMP after $((t1 - t0)) ms (health: interval 500 ms, fall 2, timeout 400 ms)"
  grep 'bgp_withdraw' "$RUN/logs/$h.log" | tail -n 1 | log_brief
  grep 'bgp_withdraw' "$RUN/logs/$h.log" | tail -n 1 | grep -q 'reason=too_few_backends' || rc=1
  c0=$(conns "$h")
  load_start backends 3
  load_wait
  c1=$(conns "$h")
  read -r tot ok failed slowest < <(load_counts "$LOAD_FILE")
  echo "  then $tot connections ($failed failed): $((c1 - c0)) reached $h"
  [ "$c1" = "$c0" ] && [ "$failed" -eq 0 ] || rc=1
  show "lab/lab.sh restore-backends $h"
  "$LAB" restore-backends "$h"
  if wait_for_cmd "$TOUR_WAIT_S" in_ecmp "$h"; then
    echo "  backends up again: $h announces again"
  else
    rc=1
  fi
  return $rc
}
