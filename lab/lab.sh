#!/usr/bin/env bash
# The foobar.com lab in network namespaces: lab.sh up [--bgp N] | down | status
#
# Two topologies. The default, a VRRP pair, active-active:
#   "internet" 198.18.0.0/24 (bridge in namespace ${P}inet)
#       client 198.18.0.100 (and .101, .102: the tour blocks them)
#       gw-1 198.18.0.2   gw-2 198.18.0.3
#       VIP-A 198.18.0.10 (gw-1 Master, gw-2 Backup), VIP-B 198.18.0.11 (gw-2
#       Master, gw-1 Backup): www.foobar.com resolves to both
#   private 198.19.0.0/24 (bridge in namespace ${P}priv)
#       gw-1 198.19.0.2   gw-2 198.19.0.3   web-01 198.19.0.11   web-02 198.19.0.12
# With --bgp N (3 <= N <= 8): N gateways behind a router running BIRD with
# ECMP, each announcing the service address 198.18.10.10 over BGP with its
# own BIRD (lab/bgp.sh draws it). `up` records which in $RUN/topology; the
# other commands read it.
#
# Every namespace is named with the prefix LAB_PREFIX (default "rp-"); all
# state (certificates, configs, logs, pid files) lives in LAB_RUN (default
# lab/run/, git-ignored, or /var/tmp/rampart-lab when the checkout is closed to
# other users: lab/run_dir.sh). `down` stops what `up` started by the PIDs it
# recorded and deletes its namespaces; nothing is added to the root namespace.
#
# The certificate: from the lab CA made here (the default), or with
# LAB_CA=acme from an ACME server, pebble, in a namespace of its own
# (lab/acme.sh; the VRRP pair only). `up` records which in $RUN/ca.
#
# Other commands used by demo.sh and the tests:
#   lab.sh ca                               lab or acme: where the certificate comes from
#   lab.sh acme-wait                        wait (bounded) until each VIP serves pebble's chain
#   lab.sh start-gw NAME | kill-gw NAME     start / crash a gateway (gw-1, gw-2)
#   lab.sh reload-gw NAME                   its config written again, SIGHUP (LAB_ACME_NAMES)
#   lab.sh start-web NAME | stop-web NAME   start / stop nginx on web-01, web-02
#   lab.sh start-db NAME | stop-db NAME     start / stop MariaDB on web-01, web-02
#   lab.sh promote NAME                     make the replica NAME the primary (by hand)
#   lab.sh db-primary | db-status           the primary's name / both databases' state
#   lab.sh vip-holder [ADDR]                the gateway holding ADDR: gw-1, gw-2, gw-1+gw-2
#                                           or none; without ADDR, "ADDR HOLDER" per VIP (VRRP)
#   lab.sh announcers                       the gateways in the router's ECMP route (BGP)
#   lab.sh drain-gw NAME                    SIGTERM: withdraw, wait drain_wait, drain (BGP)
#   lab.sh kill-rampart NAME                SIGKILL rampart only; its BIRD and links stay (BGP)
#   lab.sh cut-backends NAME | restore-backends NAME   the gateway's private link down / up
#
# Behind nginx, each web server runs the guestbook (lab/app/, PHP under
# php-fpm) and a MariaDB: the primary on web-01, a GTID replica on web-02
# (read-only). The application writes to the primary and reads its own
# server's database first.
set -u
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$LAB_DIR")
P=${LAB_PREFIX:-rp-}
# shellcheck source=lab/run_dir.sh
. "$LAB_DIR/run_dir.sh"
RUN=${LAB_RUN:-$(lab_default_run "$LAB_DIR")}
BUILD=${RAMPART_BUILD:-$ROOT/build}
PKI=${LAB_PKI:-$RUN/pki}
WEBS="web-01 web-02"
# shellcheck source=lab/bgp.sh
. "$LAB_DIR/bgp.sh"
# shellcheck source=lab/acme.sh
. "$LAB_DIR/acme.sh"

# The topology: "vrrp" (the pair) or "bgp N", from `up` or $RUN/topology.
# VIPS: the pair's addresses (each with its own VRRP instance), none behind BGP.
VIP_A=198.18.0.10 VIP_B=198.18.0.11
read -r TOPOLOGY NGW < <(cat "$RUN/topology" 2>/dev/null || echo vrrp 2)
set_topology() { # vrrp | bgp N
  TOPOLOGY=$1 NGW=${2:-2}
  if [ "$TOPOLOGY" = bgp ]; then
    GATEWAYS=$(bgp_names "$NGW") VIPS=""
    HOSTS="router priv client $GATEWAYS $WEBS"
  else
    GATEWAYS="gw-1 gw-2" VIPS="$VIP_A $VIP_B"
    HOSTS="inet priv client $GATEWAYS $WEBS"
  fi
}
set_topology "$TOPOLOGY" "$NGW"

declare -A PUB=([client]=198.18.0.100 [gw-1]=198.18.0.2 [gw-2]=198.18.0.3)
CLIENT_EXTRA="198.18.0.101 198.18.0.102"
declare -A PRIV=([web-01]=198.19.0.11 [web-02]=198.19.0.12)
for _k in $(seq "$BGP_MAX"); do PRIV[gw-$_k]=198.19.0.$((1 + _k)); done
# each gateway's priority in the instances vip-a and vip-b (vrrp.ini.in):
# mirrored, so each VIP has its own Master
declare -A PRIO_A=([gw-1]=150 [gw-2]=100) PRIO_B=([gw-1]=100 [gw-2]=150)
declare -A VIP_HOME=([$VIP_A]=gw-1 [$VIP_B]=gw-2) VIP_NAME=([$VIP_A]=VIP-A [$VIP_B]=VIP-B)
declare -A SERVER_ID=([web-01]=1 [web-02]=2)
# the users that must reach files under $RUN: MariaDB, the application
# (php-fpm's workers) and nginx's workers
SERVICE_USERS="mysql www-data nobody"

ns() { echo "$P$1"; }
say() { echo "lab: $*"; }
die() { echo "lab: $*" >&2; exit 1; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

# ---- processes: started in their own process group, recorded by PID ------

# spawn NAME HOST CMD...: runs CMD in HOST's namespace as a new session
# (so a crash kill can take the whole process tree); pid in $RUN/pids/NAME.
spawn() {
  local name=$1 host=$2
  shift 2
  mkdir -p "$RUN/pids" "$RUN/logs"
  # own UTS namespace too, so each host has its own name (/status shows it)
  # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
  setsid ip netns exec "$(ns "$host")" unshare --uts \
    bash -c 'hostname "$0" && exec "$@"' "$host" "$@" </dev/null >>"$RUN/logs/$name.log" 2>&1 &
  echo $! >"$RUN/pids/$name.pid"
}

pid_of() { cat "$RUN/pids/$1.pid" 2>/dev/null; }
alive() { local pid; pid=$(pid_of "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

# stop NAME [SIGNAL]: signals the process group we started, waits up to 5 s.
stop() {
  local name=$1 sig=${2:-TERM} pid
  pid=$(pid_of "$name") || return 0
  [ -n "$pid" ] || return 0
  kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null
  rm -f "$RUN/pids/$name.pid"
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s; stops early when CMD
# returns 2 (will never succeed).
wait_until() {
  local end=$((SECONDS + $1)) rc
  shift
  while [ $SECONDS -le $end ]; do
    "$@" >/dev/null 2>&1
    rc=$?
    [ $rc -eq 0 ] && return 0
    [ $rc -eq 2 ] && return 1
    sleep 0.1
  done
  return 1
}

# ---- the local CA and the www.foobar.com certificate (first run only) ----

make_pki() {
  [ -s "$PKI/www.foobar.com.crt" ] && [ -s "$PKI/ca.crt" ] && return 0
  say "making the lab CA and a certificate for www.foobar.com in $PKI"
  mkdir -p "$PKI" && chmod 700 "$PKI"
  (
    cd "$PKI" || exit 1
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/O=foobar.com lab/CN=foobar.com lab CA" -keyout ca.key -out ca.crt \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/O=foobar.com lab/CN=www.foobar.com" -keyout www.foobar.com.key -out www.csr &&
      printf 'subjectAltName=DNS:www.foobar.com,DNS:foobar.com\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >www.ext &&
      openssl x509 -req -in www.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
        -extfile www.ext -out www.foobar.com.crt &&
      rm -f www.csr www.ext ca.srl
  ) >"$RUN/pki.log" 2>&1 || { cat "$RUN/pki.log" >&2; die "openssl failed"; }
  chmod 644 "$PKI/ca.crt" "$PKI/www.foobar.com.crt"
  chmod 600 "$PKI/ca.key" "$PKI/www.foobar.com.key"
}

# ---- topology ----------------------------------------------------------------

add_ns() {
  ip netns add "$(ns "$1")" || die "cannot create namespace $(ns "$1")"
  ns "$1" >>"$RUN/namespaces"
  ip -n "$(ns "$1")" link set lo up
}

# link HOST IFNAME ADDR SEGMENT: a veth from HOST's IFNAME to SEGMENT's bridge.
# Created inside the namespaces: the root namespace never sees it.
link() {
  local host=$1 ifname=$2 addr=$3 seg=$4
  local port="$host"
  ip -n "$(ns "$host")" link add "$ifname" type veth peer name "$port" netns "$(ns "$seg")" || return 1
  ip -n "$(ns "$seg")" link set "$port" master br0 up
  ip -n "$(ns "$host")" addr add "$addr/24" dev "$ifname"
  ip -n "$(ns "$host")" link set "$ifname" up
}

make_topology() {
  local h
  for h in $HOSTS; do add_ns "$h"; done
  for h in inet priv; do
    ip -n "$(ns "$h")" link add br0 type bridge &&
      ip -n "$(ns "$h")" link set br0 up || die "bridge in $(ns "$h")"
  done
  link client eth0 "${PUB[client]}" inet || die "client link"
  # two more source addresses for the tour's blocklist steps (tour_pair.sh)
  for _a in $CLIENT_EXTRA; do ip -n "$(ns client)" addr add "$_a/24" dev eth0 || die "client $_a"; done
  for h in $GATEWAYS; do
    link "$h" eth0 "${PUB[$h]}" inet && link "$h" eth1 "${PRIV[$h]}" priv || die "$h links"
    # a gateway is a proxy, not a router
    in_ns "$h" sysctl -qw net.ipv4.ip_forward=0
  done
  for h in $WEBS; do link "$h" eth0 "${PRIV[$h]}" priv || die "$h link"; done
  # The client even has a route to the private network through each VIP
  # (web-02 through VIP-B, the rest through VIP-A): both gateways must
  # refuse to be that router (no forwarding + firewall).
  ip -n "$(ns client)" route add 198.19.0.0/24 via "$VIP_A"
  ip -n "$(ns client)" route add "${PRIV[web-02]}/32" via "$VIP_B"
}

# ---- firewall ------------------------------------------------------------------

firewall_ready() {
  [ -x "$BUILD/rampart-fw" ] && [ -f "$ROOT/policies/gateway.policy" ] &&
    [ -f "$ROOT/policies/web.policy" ] && "$BUILD/rampart-fw" --help 2>&1 | grep -q apply
}

# The web servers get policies/web.policy from rampart-fw; each gateway
# applies policies/gateway.policy itself ([firewall] policy), as in production.
apply_firewall() {
  local h
  if ! firewall_ready; then
    say "firewall: not yet (rampart-fw apply or policies/ not merged); hosts run without a firewall"
    return 0
  fi
  for h in $WEBS; do
    in_ns "$h" "$BUILD/rampart-fw" apply "$ROOT/policies/web.policy" >>"$RUN/logs/firewall.log" 2>&1 ||
      die "firewall: rampart-fw apply web.policy failed on $h (see $RUN/logs/firewall.log)"
  done
  say "firewall: policies/web.policy on web-01, web-02 (rampart-fw); policies/gateway.policy by each gateway"
}

# ---- web servers and gateways ------------------------------------------------

fill() { # fill TEMPLATE OUT KEY=VALUE...
  local tpl=$1 out=$2 kv expr=()
  shift 2
  for kv in "$@"; do expr+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${expr[@]}" "$tpl" >"$out"
}

# deploy_assets HOST: the static page with many assets (lab/app/assets/
# and 40 small generated images), for the tour's HTTP/2 step.
LAB_ASSETS=40
deploy_assets() {
  local dir="$RUN/$1/www/assets" i
  mkdir -p "$dir" && install -m 644 "$LAB_DIR"/app/assets/* "$dir/" || die "cannot deploy the assets to $dir"
  for i in $(seq "$LAB_ASSETS"); do
    printf '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16" fill="#%02x%02x80"/></svg>\n' \
      $((i * 6)) $((255 - i * 6)) >"$dir/a$i.svg"
  done
  chmod 755 "$dir" && chmod 644 "$dir"/*
}

start_web() {
  local h=$1 dir="$RUN/$1"
  mkdir -p "$dir/tmp"
  deploy_assets "$h"
  fill "$LAB_DIR/nginx.conf.in" "$dir/nginx.conf" "NAME=$h" "DIR=$dir" "ADDR=${PRIV[$h]}"
  spawn "$h" "$h" nginx -e "$dir/error.log" -c "$dir/nginx.conf" -g "daemon off;"
  wait_until 5 in_ns "$h" bash -c "exec 3<>/dev/tcp/${PRIV[$h]}/80" || die "nginx on $h did not start (see $dir/error.log)"
}

stop_web() { stop "$1"; }

# The pair's key for their peer channel ([peer] psk_file): made once per `up`.
make_peer_key() {
  [ -s "$RUN/peer.psk" ] && return 0
  (umask 077 && openssl rand -hex 32 >"$RUN/peer.psk") || die "cannot write $RUN/peer.psk"
}

# The session-ticket key file every gateway of the BGP topology shares
# (nginx's format: 80 random bytes), so a flow that moves to another gateway
# still resumes. The VRRP pair shares its keys over [peer] instead.
ticket_key_line() {
  if [ "$TOPOLOGY" != bgp ]; then
    echo "; ticket keys: the pair shares its own over [peer] (vrrp.ini.in)"
    return 0
  fi
  if ! grep -q ticket_key_file "$BUILD/rampart" 2>/dev/null; then
    echo "; ticket_key_file: not in this build; each gateway makes its own ticket keys"
    return 0
  fi
  [ -s "$RUN/ticket.key" ] || (umask 077 && head -c 80 /dev/urandom >"$RUN/ticket.key")
  echo "ticket_key_file = $RUN/ticket.key"
}

gateway_config() {
  local h=$1 dir="$RUN/$1" other=gw-1
  [ "$h" = gw-1 ] && other=gw-2
  mkdir -p "$dir"
  local policy="" ha=vrrp
  firewall_ready && policy=$ROOT/policies/gateway.policy
  [ "$TOPOLOGY" = bgp ] && ha=bgp
  [ "$ha" = vrrp ] && make_peer_key
  fill "$LAB_DIR/gateway.ini.in" "$dir/rampart.ini" "NAME=$h" "DIR=$dir" "PKI=$PKI" \
    "POLICY=$policy" "TICKETS=$(ticket_key_line)"
  [ "$(lab_ca)" = acme ] && acme_gateway_config "$dir/rampart.ini" "$h"
  fill "$LAB_DIR/$ha.ini.in" "$dir/ha.ini" "PRIO_A=${PRIO_A[$h]:-100}" "PRIO_B=${PRIO_B[$h]:-100}" \
    "VIP_A=$VIP_A" "VIP_B=$VIP_B" "SVC=$SVC" "RUN=$RUN" "SELF=${PRIV[$h]}" "PEER=${PRIV[$other]}"
  cat "$dir/ha.ini" >>"$dir/rampart.ini" && rm -f "$dir/ha.ini"
}

start_gw() {
  local h=$1
  [ -x "$BUILD/rampart" ] || die "$BUILD/rampart missing: run make"
  ip -n "$(ns "$h")" link set eth0 up
  [ "$TOPOLOGY" = bgp ] && bgp_unsilence "$h" && bgp_start_gw_bird "$h"
  gateway_config "$h"
  spawn "$h" "$h" "$BUILD/rampart" -c "$RUN/$h/rampart.ini"
  if ! wait_until 10 gw_listening "$h"; then
    if ! alive "$h"; then
      say "gateway $h: rampart exited: $(tail -n 1 "$RUN/logs/$h.log")"
      return 1
    fi
    say "gateway $h: not listening on :443 after 10 s (see $RUN/logs/$h.log)"
    return 1
  fi
}

# up when :443 answers; gives up at once when the process is gone
gw_listening() {
  alive "$1" || return 2
  in_ns "$1" bash -c "exec 3<>/dev/tcp/127.0.0.1/443"
}

# kill_gw NAME: the gateway crashes (SIGKILL to its processes) and its
# public link goes down, as when the box dies: it neither serves nor answers
# ARP for the address it held.
#
# Behind BGP the gateway's link to the router is silenced instead (nothing
# in or out, carrier kept, as a dead box behind a switch): the router must
# notice through BFD, not through a link that went down. The silence is
# made first, so its time is the crash's.
kill_gw() {
  local h=$1
  if [ "$TOPOLOGY" = bgp ]; then
    bgp_silence "$h"
    stop "$h" KILL
    stop "$h-bird" KILL
    return 0
  fi
  stop "$h" KILL
  ip -n "$(ns "$h")" link set eth0 down
}

# drain_gw NAME: SIGTERM, waits (longer than stop's 5 s: drain_wait, then
# the drain) until rampart has exited.
drain_gw() {
  local h=$1 pid
  pid=$(pid_of "$h") || return 0
  kill -TERM "$pid" 2>/dev/null
  wait_until 20 bash -c "! kill -0 $pid 2>/dev/null"
  rm -f "$RUN/pids/$h.pid"
}

# vip_holders ADDR: the gateways whose live public link holds ADDR, joined
# with "+" (both: a split brain), empty when none does.
vip_holders() {
  local h out=""
  for h in $GATEWAYS; do
    ip -n "$(ns "$h")" -4 addr show dev eth0 2>/dev/null | grep -q " $1/" &&
      ip -n "$(ns "$h")" link show eth0 | grep -q 'state UP' && out="$out+$h"
  done
  echo "${out#+}"
}

# vip_holder [ADDR]: ADDR's holder (gw-1, gw-2, gw-1+gw-2 or none); without
# ADDR, one line "ADDR HOLDER" per VIP. Fails when an address has no holder.
vip_holder() {
  local v h rc=0
  [ "$TOPOLOGY" = vrrp ] || { echo none; return 1; }
  for v in ${1:-$VIPS}; do
    h=$(vip_holders "$v")
    if [ -n "${1:-}" ]; then echo "${h:-none}"; else echo "$v ${h:-none}"; fi
    [ -n "$h" ] || rc=1
  done
  return $rc
}

# every VIP on its own Master (VIP_HOME): the pair's resting state
vips_at_home() {
  local v
  for v in $VIPS; do [ "$(vip_holders "$v")" = "${VIP_HOME[$v]}" ] || return 1; done
}

# vrrp_states GW: "vip-a master, vip-b backup" from the gateway's /metrics.
vrrp_states() {
  in_ns "$1" curl -s --max-time 2 http://127.0.0.1:9100/metrics |
    sed -nE 's/^rampart_vrrp_state\{vrrp_instance="([^"]+)",state="([a-z]+)"\} 1$/\1 \2/p' |
    paste -sd, | sed 's/,/, /g'
}

# ---- the site: MariaDB and the guestbook (lab/site.sh) ---------------------------

# shellcheck source=lab/site.sh
. "$LAB_DIR/site.sh"

# ---- commands ------------------------------------------------------------------

# Namespaces of this lab: those recorded, plus any left by a run that died
# before recording them (the names are ours by their prefix).
lab_namespaces() {
  local h
  {
    [ -f "$RUN/namespaces" ] && cat "$RUN/namespaces"
    for h in inet router priv client acme $(bgp_names "$BGP_MAX") $WEBS; do
      ip netns list | awk '{print $1}' | grep -qx "$(ns "$h")" && ns "$h"
    done
  } | sort -u
}

lab_exists() { [ -n "$(lab_namespaces)" ]; }

# up [--bgp N]
cmd_up() {
  case ${1:-} in
  "") set_topology vrrp ;;
  --bgp)
    [[ ${2:-} =~ ^[0-9]+$ ]] && [ "$2" -ge 3 ] && [ "$2" -le "$BGP_MAX" ] ||
      die "up --bgp N: N gateways, 3 to $BGP_MAX"
    command -v bird >/dev/null || die "BIRD is not installed (apt-get install bird2)"
    set_topology bgp "$2"
    ;;
  *) die "usage: lab.sh up [--bgp N]" ;;
  esac
  local ca=${LAB_CA:-lab}
  case $ca in
  lab) ;;
  acme) acme_tools_present && SERVICE_USERS="$SERVICE_USERS rampart-acme" ;;
  *) die "LAB_CA is lab (the default) or acme" ;;
  esac
  command -v nginx >/dev/null || die "nginx is not installed (apt-get install nginx-light)"
  site_tools_present
  [ "$(id -u)" -eq 0 ] || die "the lab needs root (network namespaces)"
  if lab_exists; then
    say "a lab is already up in $RUN: taking it down first"
    cmd_down
  fi
  mkdir -p "$RUN/logs" "$RUN/pids" || die "cannot make $RUN"
  echo "$TOPOLOGY $NGW" >"$RUN/topology"
  echo "$ca" >"$RUN/ca"
  check_run_reachable
  # any `die` from here to the web servers leaves nothing half-made
  trap 'echo "lab: setup failed, cleaning up" >&2; cmd_down' EXIT
  make_pki
  if [ "$TOPOLOGY" = bgp ]; then
    mkdir -p "$RUN/router"
    bgp_make_topology
    bgp_start_router
    say "router: BIRD, ECMP over the gateways (L4 hash), flows pinned to their gateway"
  else
    make_topology
    [ "$ca" = acme ] && acme_up
  fi
  apply_firewall
  local h
  db_up
  for h in $WEBS; do start_app "$h"; done
  say "application: the guestbook under php-fpm on web-01, web-02"
  for h in $WEBS; do start_web "$h"; done
  say "web servers: nginx on web-01 (${PRIV[web-01]}), web-02 (${PRIV[web-02]})"
  local gw_ok=0 n
  n=$(wc -w <<<"$GATEWAYS")
  for h in $GATEWAYS; do
    [ "$ca" = acme ] && acme_before_gw "$h"
    start_gw "$h" && gw_ok=$((gw_ok + 1))
  done
  trap - EXIT
  if [ "$gw_ok" -ne "$n" ]; then
    say "gateways: only $gw_ok of $n running (see $RUN/logs/gw-*.log)"
    return 1
  fi
  if [ "$TOPOLOGY" = bgp ]; then
    if wait_until 20 all_announced; then
      say "gateways: $GATEWAYS running; the router spreads $SVC over $(bgp_announcers)"
    else
      say "gateways: running, but the router's ECMP has only: $(bgp_announcers)"
      return 1
    fi
  elif wait_until 15 vips_at_home; then
    say "gateways: gw-1, gw-2 running; VIP-A $VIP_A on $(vip_holder "$VIP_A"), VIP-B $VIP_B on $(vip_holder "$VIP_B")"
  else
    say "gateways: running, but the VIPs are not on their Masters after 15 s: $(vip_holder | paste -sd, -)"
    return 1
  fi
}

cmd_down() {
  local f name n pid
  for f in "$RUN"/pids/*.pid; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    stop "$name"
  done
  for n in $(lab_namespaces); do
    # anything still running inside a namespace of ours is ours
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
  done
  # keep the CA and certificate (made once); drop everything else
  if [ -d "$RUN" ]; then
    find "$RUN" -mindepth 1 -maxdepth 1 ! -name pki -exec rm -rf {} +
  fi
  say "down: namespaces and processes removed"
}

all_announced() { [ "$(bgp_announcers)" = "$GATEWAYS" ]; }

cmd_status() {
  if ! lab_exists; then
    say "no lab is up (run: lab/lab.sh up, or make demo)"
    return 1
  fi
  local h
  echo "namespaces: $(lab_namespaces | tr '\n' ' ')"
  if [ "$(lab_ca)" = acme ]; then echo "certificate: ACME: pebble ($ACME_ADDR, root $ACME_ROOT)"; else echo "certificate: lab CA ($PKI/ca.crt)"; fi
  for h in $WEBS $GATEWAYS; do
    printf '  %-7s %-8s %s\n' "$h" "$(alive "$h" && echo running || echo stopped)" \
      "$(ip -n "$(ns "$h")" -4 -o addr show 2>/dev/null | awk '$2 != "lo" {printf "%s:%s ", $2, $4}')"
  done
  for h in $WEBS; do
    printf '  %-7s guestbook (php-fpm) %s\n' "$h" "$(alive "$h-app" && echo running || echo stopped)"
  done
  cmd_db_status
  if [ "$TOPOLOGY" = bgp ]; then bgp_status; else vrrp_status; fi
  for h in $GATEWAYS; do
    alive "$h" || continue
    printf '  %s /healthz: %s\n' "$h" \
      "$(in_ns "$h" curl -s --max-time 2 http://127.0.0.1:9100/healthz || echo unreachable)"
  done
}

vrrp_status() {
  local v h
  for v in $VIPS; do
    printf '%s %s on: %s (its Master by priority: %s)\n' "${VIP_NAME[$v]}" "$v" "$(vip_holder "$v")" "${VIP_HOME[$v]}"
  done
  for h in $GATEWAYS; do
    alive "$h" || continue
    printf '  %s VRRP: %s\n' "$h" "$(vrrp_states "$h")"
  done
}

case ${1:-} in
up) cmd_up "${@:2}" ;;
ca) lab_ca ;;
acme-wait) acme_wait ;;
down) cmd_down ;;
status) cmd_status ;;
start-gw) start_gw "$2" ;;
kill-gw) kill_gw "$2" ;;
reload-gw) gateway_config "$2" && kill -HUP "$(pid_of "$2")" ;;
start-web) start_web "$2" ;;
stop-web) stop_web "$2" ;;
start-db) cmd_start_db "$2" ;;
stop-db) stop_db "$2" ;;
promote) cmd_promote "${2:-}" ;;
db-primary) db_primary ;;
db-status) cmd_db_status ;;
vip-holder) vip_holder "${2:-}" ;;
announcers) bgp_announcers ;;
drain-gw) drain_gw "$2" ;;
kill-rampart) stop "$2" KILL ;;
cut-backends) ip -n "$(ns "$2")" link set eth1 down ;;
restore-backends) ip -n "$(ns "$2")" link set eth1 up ;;
*)
  echo "usage: lab.sh up [--bgp N] | down | status | promote web-0N (and see the header)" >&2
  exit 2
  ;;
esac
