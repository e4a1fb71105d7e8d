# shellcheck shell=bash
# The BGP topology of the lab, sourced by lab.sh (`lab.sh up --bgp N`):
# N gateways behind a router that spreads flows over them with ECMP.
#
#   client 198.18.0.100 (+ .101-.115: load sources) --eth0-- router 198.18.0.1
#   router to-gw-K 198.18.8.(4K-3)/30 ---- gw-K eth0 198.18.8.(4K-2)/30     K = 1..N
#   service address 198.18.10.10 (each gateway's lo, announced over BGP)
#   private 198.19.0.0/24 (bridge in ${P}priv): gw-K 198.19.0.(1+K), web-01 .11, web-02 .12
#
# The router runs BIRD with examples/bird-router.conf (one dynamic BGP
# session with BFD per gateway, the service address as one multipath
# route), net.ipv4.fib_multipath_hash_policy = 1 (L4 hash) and
# examples/router-pin-flows.nft (a flow stays on the gateway that answered
# it); each gateway runs BIRD with examples/bird.conf and Rampart with
# [bgp] (gateway.ini.in + bgp.ini.in). The BGP sessions run on the
# gateway links, which the client never reaches. Each BIRD has its config,
# control socket and PID file under $RUN/NAME/ and is started and stopped
# by its PID; the system's BIRD is never used.

# shellcheck disable=SC2034 # BGP_MAX is lab.sh's too
BGP_MAX=8 # gateways: 198.19.0.2-.9 (web.policy's gateways), 8 /30 links
SVC=198.18.10.10
ROUTER_AS=65000
GATEWAY_AS=65001

gw_link_addr() { echo "198.18.8.$((4 * ${1#gw-} - 2))"; }    # gw-K's end of its link
router_link_addr() { echo "198.18.8.$((4 * ${1#gw-} - 3))"; } # the router's end

# bgp_names N: "gw-1 ... gw-N"
bgp_names() {
  local i out=""
  for i in $(seq "$1"); do out="$out gw-$i"; done
  echo "${out# }"
}

bgp_make_topology() {
  local h i
  for h in $HOSTS; do add_ns "$h"; done
  ip -n "$(ns priv)" link add br0 type bridge && ip -n "$(ns priv)" link set br0 up || die "bridge in $(ns priv)"
  ip -n "$(ns client)" link add eth0 type veth peer name eth0 netns "$(ns router)" || die "client link"
  ip -n "$(ns client)" addr add 198.18.0.100/24 dev eth0
  for i in $(seq 101 115); do ip -n "$(ns client)" addr add "198.18.0.$i/24" dev eth0; done
  ip -n "$(ns router)" addr add 198.18.0.1/24 dev eth0
  ip -n "$(ns client)" link set eth0 up && ip -n "$(ns router)" link set eth0 up
  ip -n "$(ns client)" route add default via 198.18.0.1
  for h in $GATEWAYS; do
    ip -n "$(ns "$h")" link add eth0 type veth peer name "to-$h" netns "$(ns router)" || die "$h uplink"
    ip -n "$(ns "$h")" addr add "$(gw_link_addr "$h")/30" dev eth0
    ip -n "$(ns router)" addr add "$(router_link_addr "$h")/30" dev "to-$h"
    ip -n "$(ns "$h")" link set eth0 up && ip -n "$(ns router)" link set "to-$h" up
    ip -n "$(ns "$h")" route add default via "$(router_link_addr "$h")"
    link "$h" eth1 "${PRIV[$h]}" priv || die "$h private link"
    in_ns "$h" sysctl -qw net.ipv4.ip_forward=0
  done
  for h in $WEBS; do link "$h" eth0 "${PRIV[$h]}" priv || die "$h link"; done
  # the client even routes the private network at the router: the router
  # and the gateways must refuse to carry it (bgp-router.policy, gateway.policy)
  ip -n "$(ns client)" route add 198.19.0.0/24 via 198.18.0.1
  bgp_router_setup
}

# The router's forwarding: L4 ECMP hash, and flows pinned to the gateway
# that answered them (examples/router-pin-flows.nft, one map entry, rule
# and table per gateway).
bgp_router_setup() {
  local h k elements=""
  in_ns router sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1
  for h in $GATEWAYS; do
    k=${h#gw-}
    elements="$elements${elements:+, }\"to-$h\" : $k"
    ip -n "$(ns router)" rule add fwmark "$k" lookup "$((100 + k))"
    ip -n "$(ns router)" route add default via "$(gw_link_addr "$h")" dev "to-$h" table "$((100 + k))"
  done
  sed -e "s|elements = { \"to-gw-1\" : 1, \"to-gw-2\" : 2, \"to-gw-3\" : 3 }|elements = { $elements }|" \
    "$ROOT/examples/router-pin-flows.nft" >"$RUN/router/pin-flows.nft"
  in_ns router nft -f "$RUN/router/pin-flows.nft" || die "router: nft -f pin-flows.nft failed"
  if firewall_ready; then
    in_ns router "$BUILD/rampart-fw" apply "$ROOT/policies/bgp-router.policy" >>"$RUN/logs/firewall.log" 2>&1 ||
      die "firewall: rampart-fw apply bgp-router.policy failed (see $RUN/logs/firewall.log)"
  fi
}

# define NAME = VALUE; lines of an examples/ BIRD file, replaced.
bird_conf() { # TEMPLATE OUT NAME=VALUE...
  local tpl=$1 out=$2 kv expr=()
  shift 2
  for kv in "$@"; do expr+=(-e "s|^define ${kv%%=*} *=.*;|define ${kv%%=*} = ${kv#*=};|"); done
  sed "${expr[@]}" "$tpl" >"$out"
}

start_bird() { # NAME HOST CONF
  local name=$1 host=$2 conf=$3 dir
  dir=$(dirname "$conf")
  bird -p -c "$conf" >>"$RUN/logs/$name.log" 2>&1 || die "BIRD config $conf is refused (see $RUN/logs/$name.log)"
  # above the load's priority: BFD's 100 ms x 3 must not flap when the
  # machine is busy (production BIRD gets the same care)
  spawn "$name" "$host" nice -n -10 bird -f -c "$conf" -s "$dir/bird.ctl" -P "$dir/bird.pid"
  wait_until 5 birdc_in "$dir" show status || die "$name did not start (see $RUN/logs/$name.log)"
}

birdc_in() { local dir=$1; shift; birdc -s "$dir/bird.ctl" "$@"; }

bgp_start_router() {
  mkdir -p "$RUN/router"
  bird_conf "$ROOT/examples/bird-router.conf" "$RUN/router/bird.conf" "ROUTER_ADDRESS=198.18.0.1" \
    "ROUTER_AS=$ROUTER_AS" "GATEWAY_AS=$GATEWAY_AS" "GATEWAY_LINKS=198.18.8.0/24"
  start_bird router-bird router "$RUN/router/bird.conf"
}

bgp_start_gw_bird() {
  local h=$1
  mkdir -p "$RUN/$h"
  # a link that was down lost its routes
  ip -n "$(ns "$h")" route replace default via "$(router_link_addr "$h")"
  alive "$h-bird" && return 0
  bird_conf "$ROOT/examples/bird.conf" "$RUN/$h/bird.conf" "GATEWAY_ADDRESS=$(gw_link_addr "$h")" \
    "ROUTER_ADDRESS=$(router_link_addr "$h")" "GATEWAY_AS=$GATEWAY_AS" "ROUTER_AS=$ROUTER_AS"
  start_bird "$h-bird" "$h" "$RUN/$h/bird.conf"
}

# bgp_silence NAME: nothing in or out of the gateway's uplink (a netdev
# table of the lab's own in its namespace); the carrier stays up. When it
# took effect goes to $RUN/NAME/silenced-at (epoch ms), for the tour.
bgp_silence() {
  in_ns "$1" nft -f - <<'EOF'
table netdev lab_dead {
  chain out { type filter hook egress device "eth0" priority 0; policy drop; }
  chain in { type filter hook ingress device "eth0" priority 0; policy drop; }
}
EOF
  date +%s%3N >"$RUN/$1/silenced-at"
}
bgp_unsilence() { in_ns "$1" nft delete table netdev lab_dead 2>/dev/null || true; }

# The gateways in the router's ECMP route for the service address now.
bgp_announcers() {
  local via h out=""
  via=$(ip -n "$(ns router)" route show "$SVC" 2>/dev/null | grep -o 'via [0-9.]*' | awk '{print $2}')
  for h in $GATEWAYS; do grep -qx "$(gw_link_addr "$h")" <<<"$via" && out="$out $h"; done
  echo "${out# }"
}

bgp_status() {
  local h
  echo "topology: bgp, $NGW gateways; service address $SVC"
  echo "router's route: $(ip -n "$(ns router)" route show "$SVC" 2>/dev/null | tr -s ' \n\t' ' ')"
  echo "in the ECMP: $(bgp_announcers)"
  for h in $GATEWAYS; do
    alive "$h-bird" || continue
    printf '  %s BIRD: %s\n' "$h" "$(birdc_in "$RUN/$h" show protocols upstream 2>/dev/null | awk 'NR == 3 {print $4, $6}')"
  done
}
