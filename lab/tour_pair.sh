# shellcheck shell=bash
# The tour's steps for the VRRP pair, active-active (lab.sh up), sourced by
# tour.sh: one function per step, printing the commands it runs and what it
# saw, returning 0 (pass) or 1. Two VRRP instances on each gateway
# (lab/vrrp.ini.in): VIP-A 198.18.0.10 mastered by gw-1, VIP-B 198.18.0.11
# by gw-2; www.foobar.com resolves to both. The steps also record, in
# TOUR_FACTS, one line per fact the summary of demo.sh and lab_e2e.sh shows:
# who held which VIP before the kill, after it and after the return, the
# outage per VIP, the resumption on the survivor, the blocklist on the peer.

declare -ga TOUR_FACTS=()
fact() { TOUR_FACTS+=("$*"); } # LABEL: TEXT, for the summary

vip_name() { [ "$1" = "$VIP_B" ] && echo VIP-B || echo VIP-A; }
# the instance of rampart.ini (lab/vrrp.ini.in) that holds ADDR, and its
# Master by priority
vip_instance() { [ "$1" = "$VIP_B" ] && echo vip-b || echo vip-a; }
vip_home() { [ "$1" = "$VIP_B" ] && echo gw-2 || echo gw-1; }
# holders_are GW_OF_A GW_OF_B
holders_are() { [ "$(holder "$VIP_A")" = "$1" ] && [ "$(holder "$VIP_B")" = "$2" ]; }
vrrp_transitions() { # GW ADDR: how often GW's instance of ADDR changed state
  metric "$1" "rampart_vrrp_transitions_total{vrrp_instance=\"$(vip_instance "$2")\"}"
}
vrrp_state_is() { # GW ADDR STATE
  [ "$(metric "$1" "rampart_vrrp_state{vrrp_instance=\"$(vip_instance "$2")\",state=\"$3\"}")" = 1 ]
}

alternates() { [ "$1" = "web-01 web-02 web-01 web-02" ] || [ "$1" = "web-02 web-01 web-02 web-01" ]; }

# conns GW: the client connections GW accepted so far.
conns() { metric "$1" rampart_connections_total; }

# The pair active-active: each VIP answered by its own Master, which the
# connection counters of both gateways show; each Master's own round robin
# alternates the web servers.
step_vips_answer() {
  local v h seen rc=0 g d n=4 line
  local -A before
  for v in $VIPS; do
    h=$(holder "$v")
    for g in $TOUR_GATEWAYS; do before[$g]=$(conns "$g"); done
    show "ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$v $URL   (x$n)"
    seen=$(requests $n "$v")
    line=""
    for g in $TOUR_GATEWAYS; do
      d=$(($(conns "$g") - ${before[$g]:-0}))
      line="$line, $g +$d"
      if [ "$g" = "$h" ]; then [ "$d" -ge $n ] || rc=1; else [ "$d" -eq 0 ] || rc=1; fi
    done
    echo "  $(vip_name "$v") $v on $h (its Master: $(vip_home "$v")): answered by ${seen:-nobody}"
    echo "    connections accepted:${line#,}"
    [ "$h" = "$(vip_home "$v")" ] && alternates "$seen" || rc=1
  done
  [ $rc -eq 0 ] && fact "at rest: $(where_vips), each answered by its own Master"
  return $rc
}

# DNS round robin: www.foobar.com has both addresses, and a resolver
# rotates them; curl takes the first of its --resolve list (and would try
# the second if the first did not connect).
step_dns_round_robin() {
  local i first second out code ip server got="" rc=0
  show "ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$VIP_A,$VIP_B $URL"
  show "ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$VIP_B,$VIP_A $URL   (rotated; x4 in all)"
  for i in 1 2 3 4; do
    first=$VIP_A second=$VIP_B
    [ $((i % 2)) -eq 0 ] && first=$VIP_B second=$VIP_A
    out=$(client curl -s --max-time 3 --cacert "$CA" --resolve "www.foobar.com:443:$first,$second" \
      -w '\n%{http_code} %{remote_ip}' "$URL")
    read -r code ip <<<"$(tail -n 1 <<<"$out")"
    server=$(grep -o 'id="server">[^<]*' <<<"$out" | cut -d'>' -f2)
    echo "  $code from $ip ($(vip_name "$ip") on $(holder "$ip")), ${server:-no page}"
    [ "$code" = 200 ] && [ "$ip" = "$first" ] && [ -n "$server" ] || rc=1
    got="$got $(holder "$ip")"
  done
  echo "  the gateways that answered:$got"
  [ "$got" = " gw-1 gw-2 gw-1 gw-2" ] || rc=1
  return $rc
}

# outage FILE: from probe.sh lines, the longest time without a successful
# answer, and the failed count.
outage() {
  awk '$2 == 200 { if (last) { gap = $1 - last; if (gap > max) max = gap } last = $1; ok++ }
       $2 != 200 { failed++ }
       END { printf "%d %d %d\n", max, failed + 0, ok + 0 }' "$1"
}

# probe_during NAME CMD...: runs CMD while the client requests through
# each VIP in a loop (lab/probe.sh, one loop per VIP); prints each VIP's
# outage and passes when requests go on through every VIP after it.
# TOUR_OUTAGE_MS[ADDR]: that longest time without an answer in the last
# probe; outages() says it for both VIPs.
declare -gA TOUR_OUTAGE_MS
outages() { echo "VIP-A ${TOUR_OUTAGE_MS[$VIP_A]:-?} ms, VIP-B ${TOUR_OUTAGE_MS[$VIP_B]:-?} ms"; }
probe_during() {
  local name=$1 v rc log gap failed ok pass=0 pids=()
  local stop=$RUN/probe-$name.stop
  shift
  rm -f "$stop"
  for v in $VIPS; do
    client "$TOUR_DIR/probe.sh" "$URL" "$CA" 30 "$stop" "$v" >"$RUN/probe-$name-$v.log" 2>/dev/null &
    pids+=($!)
  done
  sleep 1
  "$@"
  rc=$?
  sleep 2
  touch "$stop"
  wait "${pids[@]}"
  rm -f "$stop"
  for v in $VIPS; do
    log=$RUN/probe-$name-$v.log
    read -r gap failed ok < <(outage "$log")
    TOUR_OUTAGE_MS[$v]=$gap
    echo "  requests through $(vip_name "$v") $v: $ok answered, $failed failed;" \
      "longest time without an answer: ${gap} ms"
    [ "$ok" -gt 0 ] && [ "$(tail -n 3 "$log" | awk '$2 == 200' | wc -l)" -eq 3 ] &&
      [ "$gap" -le "$TOUR_OUTAGE_MAX_MS" ] || pass=1
  done
  [ "$rc" -eq 0 ] && [ $pass -eq 0 ]
}

# own_vip GW: the VIP GW is Master of by priority (gw-1 VIP-A, gw-2 VIP-B).
own_vip() { [ "$1" = gw-2 ] && echo "$VIP_B" || echo "$VIP_A"; }
# where_vips: "VIP-A 198.18.0.10 on gw-1, VIP-B 198.18.0.11 on gw-2"
where_vips() {
  echo "VIP-A $VIP_A on $(holder "$VIP_A"), VIP-B $VIP_B on $(holder "$VIP_B")"
}

kill_master() {
  local m=$1 s
  s=$(other "$m")
  show "lab/lab.sh kill-gw $m      # SIGKILL rampart on $m and take its link down"
  "$LAB" kill-gw "$m" >/dev/null
  if wait_for_cmd 10 holders_are "$s" "$s"; then
    echo "  both VIPs on $s: $(vip_name "$(own_vip "$m")") moved to it," \
      "$(vip_name "$(own_vip "$s")") stayed"
  else
    echo "  the VIPs did not both reach $s: $(where_vips)"
    return 1
  fi
}

# The survivor's own VIP never moves: its instance's transitions counter
# is read before the kill (TOUR_OWN_TRANSITIONS) and compared after the
# kill and after the failback.
own_unmoved() { # SURVIVOR
  local now
  now=$(vrrp_transitions "$1" "$(own_vip "$1")")
  echo "  $1's instance $(vip_instance "$(own_vip "$1")") (Master of $(vip_name "$(own_vip "$1")")):" \
    "$((now - TOUR_OWN_TRANSITIONS)) state changes since before the kill"
  [ -n "$now" ] && [ "$now" = "$TOUR_OWN_TRANSITIONS" ] && vrrp_state_is "$1" "$(own_vip "$1")" master
}

step_failover() {
  local s
  TOUR_OLD_MASTER=$(holder "$VIP_A")
  echo "  now: $(where_vips)"
  case $TOUR_OLD_MASTER in gw-1 | gw-2) ;; *) return 1 ;; esac
  s=$(other "$TOUR_OLD_MASTER")
  [ "$(holder "$(own_vip "$s")")" = "$s" ] || return 1
  TOUR_OWN_TRANSITIONS=$(vrrp_transitions "$s" "$(own_vip "$s")")
  probe_during failover kill_master "$TOUR_OLD_MASTER" || return 1
  # shellcheck disable=SC2034 # read by demo.sh: the failback probe comes later
  TOUR_FAILOVER_OUTAGE=$(outages)
  own_unmoved "$s" || return 1
  fact "$TOUR_OLD_MASTER killed: $(where_vips); $(vip_name "$(own_vip "$TOUR_OLD_MASTER")") moved," \
    "$(vip_name "$(own_vip "$s")")'s instance on $s never changed state; requests went on through both"
}

# ---- TLS sessions across a failover (the pair shares its ticket keys) ----

TOUR_SESSION=$RUN/tour-session.pem

# sclient ADDR ARGS...: one verified TLS 1.3 handshake and request through ADDR.
sclient() {
  local addr=$1
  shift
  printf 'GET / HTTP/1.1\r\nHost: www.foobar.com\r\nConnection: close\r\n\r\n' |
    client timeout 10 openssl s_client -connect "$addr:443" -servername www.foobar.com -CAfile "$CA" \
      -verify_return_error -tls1_3 -ign_eof "$@" 2>&1
}
resumed() { metric "$1" rampart_tls_resumed_total; }
handshake_kind() { grep -m1 -oE '^(New|Reused)' <<<"$1"; }
verified() { grep -q "Verify return code: 0 (ok)" <<<"$1"; }

# resume_through ADDR WHY: resumes the saved session through ADDR; passes
# when its holder reports exactly one more resumed handshake.
resume_through() {
  local addr=$1 why=$2 h out how r0 r1
  h=$(holder "$addr")
  r0=$(resumed "$h")
  show "ip netns exec ${P}client openssl s_client -connect $addr:443 ... -sess_in $TOUR_SESSION"
  out=$(sclient "$addr" -sess_in "$TOUR_SESSION")
  how=$(handshake_kind "$out")
  r1=$(resumed "$h")
  echo "  $h answered through $(vip_name "$addr"): ${how:-no handshake} ($why);" \
    "$h's rampart_tls_resumed_total +$((${r1:-0} - ${r0:-0}))"
  [ "$how" = Reused ] && verified "$out" && [ $((${r1:-0} - ${r0:-0})) -eq 1 ]
}

# A session made with VIP-A's Master, saved; it resumes through VIP-B on
# the other gateway too (the client's next lookup may give it either
# address): one set of ticket keys for the pair.
step_session_saved() {
  local out h
  h=$(holder "$VIP_A")
  show "ip netns exec ${P}client openssl s_client -connect $VIP_A:443 -servername www.foobar.com" \
    "-CAfile $CA -tls1_3 -sess_out $TOUR_SESSION"
  out=$(sclient "$VIP_A" -sess_out "$TOUR_SESSION")
  echo "  $(grep -m1 -oE '^(New|Reused), TLSv1.3, Cipher is [A-Z0-9_]+' <<<"$out") with $h through VIP-A;" \
    "$(grep -m1 -oE 'Verify return code: [0-9]+ \([a-z ]+\)' <<<"$out"); the session (and its ticket) saved"
  [ -s "$TOUR_SESSION" ] && verified "$out" && [ "$(handshake_kind "$out")" = New ] || return 1
  resume_through "$VIP_B" "the ticket $h issued opens on $(holder "$VIP_B") too" || return 1
  fact "one set of ticket keys: the session made with $h through VIP-A resumed on $(holder "$VIP_B")" \
    "through VIP-B (Reused)"
}

# After the kill: the session made on the killed gateway resumes through
# VIP-A on the survivor.
step_session_resumed() {
  [ "$(holder "$VIP_A")" != "${TOUR_OLD_MASTER:-none}" ] || return 1
  local why="the ticket ${TOUR_OLD_MASTER:-the old master} issued before it was killed opened here"
  resume_through "$VIP_A" "$why, no full handshake" || return 1
  fact "resumption: the TLS session made with $TOUR_OLD_MASTER resumed on $(holder "$VIP_A")" \
    "through VIP-A after the kill (Reused, the survivor's rampart_tls_resumed_total +1)"
}

start_back() {
  local m=$1
  show "lab/lab.sh start-gw $m"
  "$LAB" start-gw "$m" >/dev/null || return 1
  if wait_for_cmd 15 holders_are "$(vip_home "$VIP_A")" "$(vip_home "$VIP_B")"; then
    echo "  $m is back and took $(vip_name "$(own_vip "$m")") again (higher priority, preempt = yes): $(where_vips)"
  else
    echo "  $m is running; $(where_vips)"
    return 1
  fi
}

# The old master back: it preempts its own VIP only; the survivor's never
# moved, and the returning gateway's instance of it is Backup.
step_failback() {
  local m=${TOUR_OLD_MASTER:-gw-1} s
  s=$(other "$m")
  probe_during failback start_back "$m" || return 1
  own_unmoved "$s" || return 1
  if vrrp_state_is "$m" "$(own_vip "$s")" backup; then
    echo "  $m's instance $(vip_instance "$(own_vip "$s")") is Backup"
    fact "$m back: $(where_vips); only $(vip_name "$(own_vip "$m")") preempted back," \
      "$(vip_name "$(own_vip "$s")") never changed state on $s; longest time without an answer: $(outages)"
  else
    echo "  $m's instance $(vip_instance "$(own_vip "$s")") is not Backup"
    return 1
  fi
}

# ---- the shared blocklist (the pair's [peer] channel) --------------------

# The client's extra source addresses (lab.sh gives the client both): one
# blocked while the pair is whole, one while only the survivor runs.
TOUR_BLOCK_1=198.18.0.101 TOUR_BLOCK_2=198.18.0.102
TOUR_BLOCK_MAX_S=10 # waiting longer than this for a block to cross fails the step

blocked_on() { gw "$1" "$FW" blocked 2>/dev/null | awk -v a="$2" '$1 == a {f = 1} END {exit !f}'; }
unblocked_on() { ! blocked_on "$@"; }
# expires_s GW ADDR: the seconds ADDR's block has left on GW ("3m59s936ms")
expires_s() {
  gw "$1" "$FW" blocked 2>/dev/null | awk -v a="$2" '$1 == a && $2 == "expires" {
    t = $3; s = 0
    if (match(t, /^[0-9]+h/)) { s += 3600 * substr(t, 1, RLENGTH - 1); t = substr(t, RLENGTH + 1) }
    if (match(t, /^[0-9]+m([^s]|$)/)) { n = index(t, "m"); s += 60 * substr(t, 1, n - 1); t = substr(t, n + 1) }
    if (match(t, /^[0-9]+s/)) s += substr(t, 1, RLENGTH - 1)
    print s }'
}
# served_from SRC ADDR [SECONDS]: the HTTP status of a request from the
# client's source SRC through ADDR (000: no answer within SECONDS, 2 by
# default; the requests that must be answered get 5 on a loaded machine)
served_from() {
  client curl -s -o /dev/null -w '%{http_code}' --max-time "${3:-2}" --interface "$1" --cacert "$CA" \
    --resolve "www.foobar.com:443:$2" "$URL"
}
# poll_ms SECONDS CMD...: polls CMD every 50 ms; prints the milliseconds it took
poll_ms() {
  local t0 end=$((SECONDS + $1))
  shift
  t0=$(date +%s%N)
  while ! "$@" >/dev/null 2>&1; do
    [ $SECONDS -le $end ] || return 1
    sleep 0.05
  done
  echo $((($(date +%s%N) - t0) / 1000000))
}
applied() { metric "$1" rampart_peer_blocks_applied_total; }
applied_is() { [ "$(applied "$1")" = "$2" ]; } # GW N
applied_some() { [ "$(applied "$1")" -ge 1 ] 2>/dev/null; }

# refused_through SRC ADDR...: SRC gets no answer through each ADDR, while
# the client's own address still does; prints what each got.
refused_through() {
  local src=$1 v code rc=0
  shift
  for v in "$@"; do
    show "ip netns exec ${P}client curl --cacert $CA --interface $src --resolve www.foobar.com:443:$v $URL"
    code=$(served_from "$src" "$v")
    echo "  from $src through $(vip_name "$v") ($(holder "$v")): ${code/000/no answer}"
    [ "$code" = 000 ] || rc=1
    code=$(served_from "${TOUR_CLIENT:-198.18.0.100}" "$v" 5)
    echo "  from ${TOUR_CLIENT:-198.18.0.100} through $(vip_name "$v"): $code"
    [ "$code" = 200 ] || rc=1
  done
  return $rc
}

# block_crosses FROM TO ADDR TIMEOUT: rampart-fw block on FROM reaches TO's
# set over the peer channel (TO's rampart_peer_blocks_applied_total +1)
# with the remaining time FROM gave it; prints the time it took.
block_crosses() {
  local from=$1 to=$2 a=$3 timeout=$4 a0 ms e_from e_to
  a0=$(applied "$to")
  show "ip netns exec $P$from rampart-fw block $a --timeout $timeout      # by hand, on $from only"
  gw "$from" "$FW" block "$a" --timeout "$timeout" >/dev/null || return 1
  if ! ms=$(poll_ms "$TOUR_BLOCK_MAX_S" blocked_on "$to" "$a"); then
    echo "  not in $to's blocklist after $TOUR_BLOCK_MAX_S s"
    return 1
  fi
  show "ip netns exec $P$to rampart-fw blocked"
  e_from=$(expires_s "$from" "$a") e_to=$(expires_s "$to" "$a")
  # /metrics shows the parent's counters a moment later than the set
  wait_for_cmd "$TOUR_BLOCK_MAX_S" applied_is "$to" $((${a0:-0} + 1))
  echo "  in $to's blocklist after $ms ms; expires in ${e_to}s on $to, ${e_from}s on $from;" \
    "$to's rampart_peer_blocks_applied_total +$(($(applied "$to") - ${a0:-0}))"
  TOUR_BLOCK_MS=$ms
  # the peer keeps the time left, not its own default (10m in policies/gateway.policy)
  [ -n "$e_to" ] && [ -n "$e_from" ] && [ $((e_to - e_from)) -le 5 ] && [ $((e_from - e_to)) -le 5 ] &&
    applied_is "$to" $((${a0:-0} + 1))
}

# unblock_crosses ON OTHER ADDR: rampart-fw unblock on ON lifts it on OTHER.
unblock_crosses() {
  local on=$1 other=$2 a=$3 ms
  show "ip netns exec $P$on rampart-fw unblock $a"
  gw "$on" "$FW" unblock "$a" >/dev/null || return 1
  if ms=$(poll_ms "$TOUR_BLOCK_MAX_S" unblocked_on "$other" "$a"); then
    echo "  lifted on $other too, after $ms ms"
  else
    echo "  still blocked on $other after $TOUR_BLOCK_MAX_S s"
    return 1
  fi
}

# A block made by hand on gw-1 is refused by gw-2 (VIP-B's Master) too;
# unblocking on gw-2 lifts it on gw-1.
step_blocklist_shared() {
  local a=$TOUR_BLOCK_1 rc=0 code
  block_crosses gw-1 gw-2 "$a" 4m || return 1
  local crossed=$TOUR_BLOCK_MS
  refused_through "$a" "$VIP_B" "$VIP_A" || rc=1
  unblock_crosses gw-2 gw-1 "$a" || return 1
  code=$(served_from "$a" "$VIP_A" 5)
  echo "  from $a through VIP-A again: $code"
  [ "$code" = 200 ] || rc=1
  [ $rc -eq 0 ] && fact "blocklist: $a blocked on gw-1 by hand was refused by gw-2 after $crossed ms" \
    "(same time left); unblocked on gw-2, lifted on gw-1"
  return $rc
}

# While the old Master is down the survivor blocks an address by hand: it
# holds both VIPs, so the address is refused through both.
step_blocklist_survivor() {
  local s
  s=$(other "${TOUR_OLD_MASTER:-gw-1}")
  show "ip netns exec $P$s rampart-fw block $TOUR_BLOCK_2 --timeout 5m      # ${TOUR_OLD_MASTER:-gw-1} is down"
  gw "$s" "$FW" block "$TOUR_BLOCK_2" --timeout 5m >/dev/null || return 1
  blocked_on "$s" "$TOUR_BLOCK_2" || return 1
  refused_through "$TOUR_BLOCK_2" "$VIP_A" "$VIP_B"
}

# The returning gateway never saw that block: it holds it now because its
# peer sent the pair's blocklist when the channel came back up.
step_blocklist_catch_up() {
  local m=${TOUR_OLD_MASTER:-gw-1} s e_m e_s code rc=0
  s=$(other "$m")
  show "ip netns exec $P$m rampart-fw blocked      # $m was down when $s blocked $TOUR_BLOCK_2"
  if ! wait_for_cmd "$TOUR_BLOCK_MAX_S" blocked_on "$m" "$TOUR_BLOCK_2"; then
    echo "  $TOUR_BLOCK_2 not in $m's blocklist"
    return 1
  fi
  e_m=$(expires_s "$m" "$TOUR_BLOCK_2") e_s=$(expires_s "$s" "$TOUR_BLOCK_2")
  wait_for_cmd "$TOUR_BLOCK_MAX_S" applied_some "$m"
  echo "  $TOUR_BLOCK_2 expires in ${e_m}s on $m, ${e_s}s on $s;" \
    "$m's rampart_peer_blocks_applied_total $(applied "$m") since its restart"
  [ -n "$e_m" ] && [ -n "$e_s" ] && [ $((e_m - e_s)) -le 5 ] && [ $((e_s - e_m)) -le 5 ] || rc=1
  applied_some "$m" || rc=1
  refused_through "$TOUR_BLOCK_2" "$(own_vip "$m")" || rc=1
  unblock_crosses "$m" "$s" "$TOUR_BLOCK_2" || rc=1
  code=$(served_from "$TOUR_BLOCK_2" "$(own_vip "$s")" 5)
  echo "  from $TOUR_BLOCK_2 through $(vip_name "$(own_vip "$s")") ($s) again: $code"
  [ "$code" = 200 ] || rc=1
  [ $rc -eq 0 ] && fact "blocklist catch-up: $TOUR_BLOCK_2, blocked on $s while $m was down," \
    "was on $m when it came back (sent over the peer channel); unblocked on $m, lifted on $s"
  return $rc
}
