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
# the CA the client trusts: the lab's own (default) or, when the lab came
# up with LAB_CA=acme, pebble's root (lab/acme.sh)
TOUR_CA=$(cat "$RUN/ca" 2>/dev/null || echo lab)
if [ "$TOUR_CA" = acme ]; then
  CA=$RUN/acme/root.pem TOUR_CA_NAME="ACME: pebble" TOUR_CA_TRUST="pebble's root (ACME)"
else
  CA=${LAB_PKI:-$RUN/pki}/ca.crt TOUR_CA_NAME="lab CA" TOUR_CA_TRUST="the lab CA"
fi
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

wait_for_cmd() { # SECONDS CMD...: polls CMD every 0.2 s
  local end=$((SECONDS + $1))
  shift
  while [ $SECONDS -le $end ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

# Which CA signed what the gateways serve; with ACME, waits (bounded) until
# the gateway holding each VIP serves pebble's chain, then shows it verify.
step_ca_in_use() {
  local v rc=0 out
  echo "  certificate for www.foobar.com: $TOUR_CA_NAME (the client trusts $CA)"
  if [ "$TOUR_CA" = acme ]; then
    show "lab/lab.sh acme-wait      # each VIP's gateway has its certificate from pebble"
    "$LAB" acme-wait | sed 's/^/  /'
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
  fi
  for v in $VIPS; do
    show "ip netns exec ${P}client openssl s_client -connect $v:443 -servername www.foobar.com -CAfile $CA -verify_return_error"
    out=$(client timeout 10 openssl s_client -connect "$v:443" -servername www.foobar.com -CAfile "$CA" \
      -verify_return_error -showcerts </dev/null 2>&1)
    echo "$out" | grep -E '^ *[0-9] s:|^ +i:' | sed 's/^ */    /'
    echo "  $(echo "$out" | grep -m1 'Verify return code' | sed 's/^ *//')"
    grep -q "Verify return code: 0 (ok)" <<<"$out" || rc=1
  done
  return $rc
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
    [ "$TOUR_TOPOLOGY" = bgp ] || via="   # routed $(client ip -4 route get "$web" | grep -o 'via [0-9.]*')"
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

# The page with many assets in headless Chromium through the VIP: the
# browser's own report (PerformanceResourceTiming, written into the page)
# says every asset came over h2 and none needed a connection of its own,
# and the gateway that holds the VIP counted the requests as HTTP/2.
# (Certificate checks are curl's steps; Chromium would need the lab CA in
# an NSS database.)
step_h2_browser() {
  local holder url=https://www.foobar.com/assets/gallery.html before after report
  holder=$(master)
  before=$(metric "$holder" 'rampart_requests_by_protocol_total{protocol="h2"}')
  show "ip netns exec ${P}client chromium --headless --host-resolver-rules='MAP www.foobar.com $VIP' --dump-dom $url"
  report=$(client timeout 90 chromium --headless --no-sandbox --disable-gpu --ignore-certificate-errors \
    --no-first-run --user-data-dir="$RUN/chromium" --host-resolver-rules="MAP www.foobar.com $VIP" \
    --virtual-time-budget=15000 --dump-dom "$url" 2>/dev/null | sed -n 's/.*<pre id="protocols">\([^<]*\)<.*/\1/p')
  rm -rf "$RUN/chromium"
  after=$(metric "$holder" 'rampart_requests_by_protocol_total{protocol="h2"}')
  echo "  the browser: ${report:-no report}"
  echo "  $holder: HTTP/2 requests ${before:-?} -> ${after:-?}"
  [ "$report" = "page=h2 resources=41 h2=41 new_connections=0" ] && [ $((after - before)) -ge 42 ]
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

# ---- the VRRP pair, active-active (two VIPs): lab/tour_pair.sh -------------

# shellcheck source=lab/tour_pair.sh
. "$TOUR_DIR/tour_pair.sh"

# ---- N gateways behind ECMP (lab.sh up --bgp N): lab/tour_bgp.sh ----------

# shellcheck source=lab/tour_bgp.sh
. "$TOUR_DIR/tour_bgp.sh"
