# shellcheck shell=bash
# The tour of the foobar.com lab: one function per step, each printing the
# commands it runs ("$ ...") and what it saw, returning 0 (pass) or 1.
# Sourced by lab/demo.sh (PASS/FAIL for people) and by
# tests/integration/lab_e2e.sh (ok/not ok for make test). Needs LAB_PREFIX,
# LAB_RUN set as for lab.sh.
TOUR_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$TOUR_DIR/lab.sh
P=${LAB_PREFIX:-rp-}
# shellcheck source=lab/run_dir.sh
. "$TOUR_DIR/run_dir.sh"
RUN=${LAB_RUN:-$(lab_default_run "$TOUR_DIR")}
CA=${LAB_PKI:-$RUN/pki}/ca.crt
# the topology lab.sh up made: the VRRP pair's two VIPs (active-active:
# VIP-A mastered by gw-1, VIP-B by gw-2; www.foobar.com resolves to both),
# or the BGP service address. VIP is the one the single-address steps use.
read -r TOUR_TOPOLOGY TOUR_NGW < <(cat "$RUN/topology" 2>/dev/null || echo vrrp 2)
VIP_A=198.18.0.10 VIP_B=198.18.0.11
if [ "$TOUR_TOPOLOGY" = bgp ]; then
  VIP=198.18.10.10 VIPS=198.18.10.10
  TOUR_GATEWAYS=$(seq -f 'gw-%g' -s ' ' "$TOUR_NGW")
else
  VIP=$VIP_A VIPS="$VIP_A $VIP_B"
  TOUR_GATEWAYS="gw-1 gw-2"
fi
URL=https://www.foobar.com/
resolve_to() { echo "--resolve www.foobar.com:443:$1 --resolve www.foobar.com:80:$1"; }
RESOLVE=$(resolve_to "$VIP")
TOUR_OUTAGE_MAX_MS=${TOUR_OUTAGE_MAX_MS:-5000} # a failover slower than this fails the step

show() { echo "  \$ $*"; }
client() { ip netns exec "${P}client" "$@"; }
gw() { local h=$1; shift; ip netns exec "$P$h" "$@"; }

# https_get [ADDR]: one verified request through ADDR (default the VIP);
# prints the server's name.
https_get() {
  # shellcheck disable=SC2046
  client curl -sS --max-time 3 --cacert "$CA" $(resolve_to "${1:-$VIP}") "$URL" |
    grep -o 'id="server">[^<]*' | cut -d'>' -f2
}

# requests N [ADDR]: prints the servers that answered N requests, space-separated.
requests() {
  local out=()
  for _ in $(seq "$1"); do out+=("$(https_get "${2:-$VIP}" || true)"); done
  echo "${out[*]}"
}

# metric GW LINE_PREFIX: the value of one /metrics sample on a gateway.
metric() {
  gw "$1" curl -s --max-time 2 http://127.0.0.1:9100/metrics | awk -v k="$2" '$1 == k {print $2}'
}

holder() { "$LAB" vip-holder "$1"; } # ADDR: gw-1, gw-2, gw-1+gw-2 or none
master() { holder "$VIP"; }
holder_is() { [ "$(master)" = "$1" ]; }
backend_up_is() { [ "$(metric "$1" "rampart_backend_up{backend=\"$2\"}")" = "$3" ]; }
other() { [ "$1" = gw-1 ] && echo gw-2 || echo gw-1; }
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

wait_for_cmd() { # SECONDS CMD...: polls CMD every 0.2 s
  local end=$((SECONDS + $1))
  shift
  while [ $SECONDS -le $end ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

step_https_alternates() {
  local seen n=4
  # behind BGP each request may reach another gateway, each with its own
  # round robin: both web servers answer, in no fixed order
  [ "$TOUR_TOPOLOGY" = bgp ] && n=8
  show "ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$VIP $URL   (x$n)"
  seen=$(requests $n)
  echo "  answered by: ${seen:-nobody}"
  if [ "$TOUR_TOPOLOGY" = bgp ]; then
    [[ $seen == *web-01* && $seen == *web-02* && $(wc -w <<<"$seen") -eq $n ]]
    return
  fi
  [ "$seen" = "web-01 web-02 web-01 web-02" ] || [ "$seen" = "web-02 web-01 web-02 web-01" ]
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

step_redirect() {
  show "ip netns exec ${P}client curl -sI --resolve www.foobar.com:80:$VIP http://www.foobar.com/"
  local got
  # shellcheck disable=SC2086
  got=$(client curl -s --max-time 3 -o /dev/null -w '%{http_code} %{redirect_url}' $RESOLVE http://www.foobar.com/)
  echo "  got: ${got:-no answer}"
  [[ $got =~ ^30[18]\ https://www\.foobar\.com/$ ]]
}

step_no_direct_access() {
  local web rc=0 got via
  # the client routes web-01 through VIP-A, web-02 through VIP-B (lab.sh):
  # each gateway of the pair is asked to forward once
  for web in 198.19.0.11 198.19.0.12; do
    via=""
    [ "$TOUR_TOPOLOGY" = bgp ] || via="   # routed via $(client ip -4 route get "$web" | grep -o 'via [0-9.]*')"
    show "ip netns exec ${P}client curl --max-time 2 http://$web/$via"
    client curl -s --max-time 2 -o /dev/null "http://$web/"
    got=$?
    # 28: timed out (dropped), 7: refused or unreachable; anything else
    # (an answer, or no client namespace at all) is a failure of the step
    case $got in
    28 | 7) echo "  no answer from $web (curl exit $got), as it should be" ;;
    0) echo "  $web answered the client directly" && rc=1 ;;
    *) echo "  curl could not run (exit $got)" && rc=1 ;;
    esac
  done
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
# TOUR_OUTAGE_MS[ADDR]: that longest time without an answer, for demo.sh.
declare -gA TOUR_OUTAGE_MS
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
  own_unmoved "$s"
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
  resume_through "$VIP_B" "the ticket $h issued opens on $(holder "$VIP_B") too"
}

# After the kill: the session made on the killed gateway resumes through
# VIP-A on the survivor.
step_session_resumed() {
  [ "$(holder "$VIP_A")" != "${TOUR_OLD_MASTER:-none}" ] || return 1
  local why="the ticket ${TOUR_OLD_MASTER:-the old master} issued before it was killed opened here"
  resume_through "$VIP_A" "$why, no full handshake"
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
  else
    echo "  $m's instance $(vip_instance "$(own_vip "$s")") is not Backup"
    return 1
  fi
}

step_backend_down() {
  local m rc=0 seen
  m=$(master)
  [ "$TOUR_TOPOLOGY" = bgp ] && m=gw-1 # every gateway checks the backends
  show "lab/lab.sh stop-web web-01      # stop nginx on web-01"
  "$LAB" stop-web web-01
  show "ip netns exec $P$m curl -s http://127.0.0.1:9100/metrics | grep rampart_backend_up"
  if wait_for_cmd 10 backend_up_is "$m" web-01 0; then
    gw "$m" curl -s http://127.0.0.1:9100/metrics | grep '^rampart_backend_up' | sed 's/^/  /'
  else
    echo "  $m does not report web-01 down"
    rc=1
  fi
  show "ip netns exec $P$m curl -s http://127.0.0.1:9100/healthz"
  echo "  $(gw "$m" curl -s --max-time 2 http://127.0.0.1:9100/healthz)"
  seen=$(requests 4)
  echo "  4 requests answered by: ${seen:-nobody}"
  [ "$seen" = "web-02 web-02 web-02 web-02" ] || rc=1
  show "lab/lab.sh start-web web-01"
  "$LAB" start-web web-01
  if wait_for_cmd 10 backend_up_is "$m" web-01 1; then
    echo "  web-01 is back up"
  else
    echo "  web-01 not reported up again"
    rc=1
  fi
  return $rc
}

step_metrics() {
  local h rc=0 file
  for h in $TOUR_GATEWAYS; do
    file=$RUN/metrics-$h.txt
    show "ip netns exec $P$h curl -s http://127.0.0.1:9100/metrics"
    if ! gw "$h" curl -s --max-time 3 -o "$file" http://127.0.0.1:9100/metrics; then
      echo "  no answer"
      rc=1
      continue
    fi
    grep -E '^rampart_(bgp_\S+|vrrp_state\S* 1|vrrp_transitions_total|backend_up|requests_total\{class="2xx"\}|tls_handshakes_total|connections_total|firewall_applied|firewall_dropped_packets_total)' \
      "$file" | sed 's/^/  /'
    if command -v promtool >/dev/null && ! promtool check metrics <"$file" >/dev/null 2>&1; then
      echo "  promtool check metrics refuses it"
      rc=1
    fi
  done
  return $rc
}

# ---- the site behind the gateways: the guestbook and its databases --------

FW=${RAMPART_BUILD:-$(dirname "$TOUR_DIR")/build}/rampart-fw
POLICY=$(dirname "$TOUR_DIR")/policies/web.policy
TOUR_PAGE=$RUN/tour-page.html

# gb_get: one verified GET of the guestbook through the VIP into
# $TOUR_PAGE; prints the HTTP status.
gb_get() {
  # shellcheck disable=SC2086
  client curl -s --max-time 5 --cacert "$CA" $RESOLVE -o "$TOUR_PAGE" -w '%{http_code}' "$URL"
}

# gb_post MESSAGE: one verified POST of an entry through the VIP into
# $TOUR_PAGE; prints the HTTP status.
gb_post() {
  # shellcheck disable=SC2086
  client curl -s --max-time 5 --cacert "$CA" $RESOLVE -o "$TOUR_PAGE" -w '%{http_code}' \
    --data-urlencode "name=tour" --data-urlencode "message=$1" "$URL"
}

# field ID: the text of the element with that id on the last page fetched.
field() { grep -o "id=\"$1\">[^<]*" "$TOUR_PAGE" 2>/dev/null | head -n 1 | cut -d'>' -f2; }

show_post() {
  show "ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$VIP" \
    "--data-urlencode name=tour --data-urlencode 'message=$1' $URL"
}

# post_each MESSAGE WANT_CODE: two POSTs (round robin: one per web server);
# prints what each answered; passes when both answered WANT_CODE, one by
# web-01 and one by web-02. Behind BGP each POST may reach another gateway,
# each with its own round robin: up to 8 POSTs, until both have answered.
post_each() {
  local msg=$1 want=$2 code servers="" rc=0 i tries=2
  [ "$TOUR_TOPOLOGY" = bgp ] && tries=8
  show_post "$msg"
  for i in $(seq $tries); do
    code=$(gb_post "$msg #$i")
    servers="$servers $(field server)"
    if [ "$code" = 303 ]; then
      echo "  $code from $(field server): stored on the primary $(field written-to)"
    else
      echo "  $code from $(field server): $(field error)"
    fi
    [ "$code" = "$want" ] || rc=1
    [[ $servers == *web-01* && $servers == *web-02* ]] && break
  done
  if [ "$TOUR_TOPOLOGY" = bgp ]; then
    [[ $servers == *web-01* && $servers == *web-02* ]] || rc=1
  else
    [[ $servers == " web-01 web-02" || $servers == " web-02 web-01" ]] || rc=1
  fi
  return $rc
}

# read_each TEXT: GETs until both web servers served a page containing
# TEXT (at most 20 tries); prints where each read it from. Sets READ_01 and
# READ_02 to the database each page came from.
read_each() {
  local text=$1 i
  READ_01="" READ_02=""
  show "ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$VIP $URL   (until both web servers show it)"
  for i in $(seq 20); do
    if [ "$(gb_get)" = 200 ] && grep -qF "$text" "$TOUR_PAGE"; then
      case $(field server) in
      web-01) READ_01=$(field read-from) ;;
      web-02) READ_02=$(field read-from) ;;
      esac
    fi
    [ -n "$READ_01" ] && [ -n "$READ_02" ] && break
    sleep 0.2
  done
  echo "  web-01 shows it, read from ${READ_01:-nowhere}; web-02 shows it, read from ${READ_02:-nowhere}"
  [ -n "$READ_01" ] && [ -n "$READ_02" ]
}

step_guestbook_replicates() {
  TOUR_ENTRY="hello from the tour $(date +%s)-$RANDOM"
  post_each "$TOUR_ENTRY" 303 || return 1
  # web-02 reads its own replica: the entry got there by replication
  read_each "$TOUR_ENTRY" && [ "$READ_02" = "web-02 (read-only replica)" ]
}

# mysql_try NS ADDR: tries the MySQL protocol from NS to ADDR:3306 with
# an unknown user; prints the client's one-line verdict. An "Access denied"
# means the server answered; "Can't connect" that nothing did.
mysql_try() {
  ip netns exec "$P$1" mariadb --no-defaults --connect-timeout=2 -h "$2" -u tour -e 'SELECT 1' 2>&1 | head -n 1
}

step_mysql_closed() {
  local from addr out rc=0
  for from in client gw-1; do
    for addr in 198.19.0.11 198.19.0.12; do
      show "ip netns exec $P$from mariadb --connect-timeout=2 -h $addr -u tour"
      out=$(mysql_try "$from" "$addr")
      echo "  ${out:-no output}"
      [[ $out == *"Can't connect"* ]] || rc=1
    done
  done
  show "ip netns exec ${P}web-02 mariadb --connect-timeout=2 -h 198.19.0.11 -u tour   # web server to web server"
  out=$(mysql_try web-02 198.19.0.11)
  echo "  ${out:-no output}   (the server answered: 3306 is open to the other web server)"
  [[ $out == *"Access denied"* ]] || rc=1
  show "ip netns exec ${P}web-01 $FW diff policies/web.policy   # the kernel runs the policy's render"
  if ip netns exec "${P}web-01" "$FW" diff "$POLICY" >"$RUN/tour-diff.txt" 2>&1; then
    echo "  no difference"
  else
    sed 's/^/  /' "$RUN/tour-diff.txt"
    rc=1
  fi
  show "ip netns exec ${P}web-01 $FW show | grep mysql_to"
  ip netns exec "${P}web-01" "$FW" show | grep -o 'ip saddr.*mysql_to.*' | sed 's/^/  /'
  return $rc
}

step_primary_down() {
  local primary rc=0 i code seen=""
  primary=$("$LAB" db-primary)
  show "lab/lab.sh stop-db $primary      # stop MariaDB on $primary, the primary"
  "$LAB" stop-db "$primary"
  post_each "written while the primary is down" 503 || rc=1
  grep -q 'primary does not answer' "$TOUR_PAGE" || rc=1
  show "ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$VIP $URL   (x4)"
  for i in 1 2 3 4; do
    code=$(gb_get)
    grep -qF "${TOUR_ENTRY:-hello from the tour}" "$TOUR_PAGE" || code="$code-without-the-entry"
    seen="$seen $code:$(field server)<-$(field read-from)"
    [ "$code" = 200 ] || rc=1
  done
  echo "  reads (status:server<-database):$seen"
  echo "  the single primary is the site's single point of failure for writes; reads go on from the replica"
  return $rc
}

step_promote() {
  local rc=0
  show "lab/lab.sh promote web-02      # by hand: stop replication, read_only OFF, writes to web-02"
  "$LAB" promote web-02 | sed 's/^/  /'
  [ "$("$LAB" db-primary)" = web-02 ] || rc=1
  TOUR_ENTRY2="after the promotion $(date +%s)-$RANDOM"
  post_each "$TOUR_ENTRY2" 303 || rc=1
  [ "$(field written-to)" = web-02 ] || rc=1
  read_each "$TOUR_ENTRY2" || rc=1
  return $rc
}

step_old_primary_rejoins() {
  local rc=0
  show "lab/lab.sh start-db web-01      # the old primary comes back as web-02's replica"
  "$LAB" start-db web-01 | sed 's/^/  /'
  show "lab/lab.sh db-status"
  "$LAB" db-status | sed 's/^/  /'
  read_each "${TOUR_ENTRY2:-after the promotion}" || rc=1
  [ "$READ_01" = "web-01 (read-only replica)" ] || rc=1
  return $rc
}

# ---- N gateways behind ECMP (lab.sh up --bgp N): lab/tour_bgp.sh ----------

# shellcheck source=lab/tour_bgp.sh
. "$TOUR_DIR/tour_bgp.sh"
