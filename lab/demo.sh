#!/usr/bin/env bash
# make demo: builds Rampart, brings up the foobar.com lab (lab.sh) and walks
# the tour (tour.sh), printing every command and PASS/FAIL. The lab stays
# up afterwards so you can poke it; `make demo-down` removes it.
#
# Two topologies: the VRRP pair (the default), or N gateways behind a
# router's ECMP, announced over BGP:
#   lab/demo.sh --bgp 3        LAB_TOPOLOGY=bgp make demo   (LAB_BGP_N=3)
set -u
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$LAB_DIR")
cd "$ROOT" || exit 1
UP_ARGS=()
if [ "${1:-}" = --bgp ]; then
  UP_ARGS=(--bgp "${2:-3}")
elif [ "${LAB_TOPOLOGY:-vrrp}" = bgp ]; then
  UP_ARGS=(--bgp "${LAB_BGP_N:-3}")
elif [ "${LAB_TOPOLOGY:-vrrp}" != vrrp ]; then
  echo "LAB_TOPOLOGY is vrrp or bgp" >&2
  exit 2
fi

[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }
echo "== building (make)"
make --no-print-directory -s all || exit 1

echo "== bringing up the lab (lab/lab.sh up ${UP_ARGS[*]})${LAB_CA:+, LAB_CA=$LAB_CA}"
if ! "$ROOT/lab/lab.sh" up "${UP_ARGS[@]}"; then
  echo "The lab did not come up completely; see the messages above."
  echo "Remove it with: make demo-down"
  exit 1
fi

. "$LAB_DIR/tour.sh" # after `up`: it reads the topology up recorded
if [ "$TOUR_TOPOLOGY" = bgp ]; then
  echo "== the tour of the BGP topology: $TOUR_NGW gateways ($TOUR_GATEWAYS) behind a router's ECMP,"
  echo "   service address $VIP announced by each gateway's BIRD while Rampart says it is fit to serve"
else
  echo "== the tour of the VRRP pair, active-active: www.foobar.com resolves to VIP-A $VIP_A"
  echo "   (gw-1 its Master, gw-2 its Backup) and VIP-B $VIP_B (gw-2 Master, gw-1 Backup)"
fi

passed=0 failed=0 n=0 failed_steps=()
step() {
  local title=$1
  shift
  n=$((n + 1))
  echo
  echo "== $n. $title"
  if "$@"; then
    echo "  PASS"
    passed=$((passed + 1))
  else
    echo "  FAIL"
    failed=$((failed + 1))
    failed_steps+=("$n. $title")
  fi
}

if [ "$TOUR_CA" = acme ]; then
  step "the certificate: ACME: pebble (LAB_CA=acme), not the lab CA: each VIP serves a chain that verifies against pebble's root" \
    step_ca_in_use
fi
if [ "$TOUR_TOPOLOGY" = bgp ]; then
  step "HTTPS through the service address, certificate verified against the lab CA, both web servers answer" \
    step_https_alternates
else
  step "HTTPS through both VIPs, certificate verified against $TOUR_CA_TRUST: each VIP answered by its Master, each alternating web-01/web-02" \
    step_vips_answer
  step "DNS round robin: the client takes VIP-A, then VIP-B, as a resolver rotates the two records" \
    step_dns_round_robin
fi
step "HTTP redirects to HTTPS" step_redirect
step "Chromium gets a page and its 41 assets over one HTTP/2 connection through the VIP" step_h2_browser
step "the client cannot reach a web server directly" step_no_direct_access
step "the guestbook: an entry written through the VIP is read on both web servers, web-02 from its replica" \
  step_guestbook_replicates
step "MySQL (3306) only between the web servers: not from the client, not from a gateway" \
  step_mysql_closed
if [ "$TOUR_TOPOLOGY" = bgp ]; then
  step "the router holds one ECMP route to $VIP over every gateway (BGP + BFD sessions up)" step_bgp_ecmp
  step "many short connections from 16 sources spread evenly over the gateways (/metrics)" step_bgp_spread
  step "drain gw-2 (SIGTERM): route withdrawn first, then the drain: 0 requests lost" step_bgp_drain
  step "crash gw-1 (box dead): BFD removes it in well under a second, new flows go elsewhere" \
    step_bgp_crash
  step "SIGKILL rampart alone on gw-2: its route device dies with it, BIRD withdraws at once" \
    step_bgp_rampart_crash
  step "all backends fail behind gw-3: it withdraws within the health fall time" \
    step_bgp_backends_fail
else
  step "a TLS session made through VIP-A with gw-1 (openssl s_client -sess_out); it resumes through VIP-B on gw-2" \
    step_session_saved
  step "the shared blocklist: an address blocked by hand on gw-1 is refused by gw-2 too; unblocked on gw-2, lifted on gw-1" \
    step_blocklist_shared
  step "kill gw-1, the Master of VIP-A: VIP-A moves to gw-2, VIP-B stays, requests continue through both" \
    step_failover
  step "the returning client resumes, on gw-2 through VIP-A, the TLS session it made with the killed gw-1" \
    step_session_resumed
  step "while gw-1 is down, gw-2 blocks an address by hand: refused through both VIPs" \
    step_blocklist_survivor
  step "bring gw-1 back: it preempts VIP-A only, VIP-B never moved" step_failback
  step "the returning gw-1 holds the block gw-2 made while it was down (from its peer); unblocked on gw-1, lifted on gw-2" \
    step_blocklist_catch_up
fi
step "stop nginx on web-01: traffic continues on web-02, the gateway reports web-01 down" \
  step_backend_down
step "stop the database primary: writes fail with a clear error (503), reads go on" \
  step_primary_down
step "promote the replica on web-02 by hand: writes work again" step_promote
step "start the old primary: it comes back as web-02's replica and catches up" \
  step_old_primary_rejoins
step "the metrics of every gateway" step_metrics

POKE_B=""
if [ "$TOUR_TOPOLOGY" = bgp ]; then
  FIGURE="BFD removed a crashed gateway after ${TOUR_BFD_MS:-?} ms"
  HOLDER="lab/lab.sh status                 the router's ECMP route, each gateway's BIRD
  lab/lab.sh drain-gw gw-N | kill-gw gw-N | kill-rampart gw-N | start-gw gw-N
  lab/lab.sh cut-backends gw-N | restore-backends gw-N | announcers
  ip netns exec ${P}router birdc -s $RUN/router/bird.ctl show route all"
else
  FIGURE="failover outage measured (longest time without an answer while gw-1 was killed): ${TOUR_FAILOVER_OUTAGE:-?}"
  POKE_B="  ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$VIP_B https://www.foobar.com/   (VIP-B)
"
  HOLDER="lab/lab.sh status                 who holds each VIP, what runs where
  lab/lab.sh vip-holder             each VIP and its holder
  lab/lab.sh kill-gw gw-1 | start-gw gw-1 | stop-web web-01 | start-web web-01"
fi
cat <<EOT

The lab is still up. Poke it:
  ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$VIP https://www.foobar.com/
$POKE_B  ip netns exec ${P}gw-1 curl -s http://127.0.0.1:9100/metrics     (also /healthz, /status)
  ip netns exec ${P}gw-2 curl -s http://127.0.0.1:9100/healthz
  ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$VIP https://www.foobar.com/ \\
    --data-urlencode name=me --data-urlencode message=hello      (sign the guestbook)
  lab/lab.sh db-status              the databases: primary, replica, GTID positions
  lab/lab.sh stop-db web-0N | start-db web-0N | promote web-0N
  $HOLDER
  logs: $RUN/logs/
Remove it: make demo-down
EOT

# The summary last, where it is seen: the count, what the steps
# established (tour_pair.sh's TOUR_FACTS), the measured figure, what failed.
echo
echo "== summary: $n steps, $passed passed, $failed failed"
for f in "${TOUR_FACTS[@]}"; do echo "  - $f"; done
echo "  - $FIGURE"
for f in "${failed_steps[@]}"; do echo "  FAILED: step $f"; done
echo "  the lab is still up (poke it as above); make demo-down removes it"
[ "$failed" -eq 0 ]
