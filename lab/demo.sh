#!/usr/bin/env bash
# make demo: builds Rampart, brings up the foobar.com lab (lab.sh) and walks
# the tour (tour.sh), printing every command and PASS/FAIL. The lab stays
# up afterwards so you can poke it; `make demo-down` removes it.
set -u
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$LAB_DIR")
cd "$ROOT" || exit 1
. "$LAB_DIR/tour.sh"

[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }
echo "== building (make)"
make --no-print-directory -s all || exit 1

echo "== bringing up the lab (lab/lab.sh up)"
if ! "$LAB" up; then
  echo "The lab did not come up completely; see the messages above."
  echo "Remove it with: make demo-down"
  exit 1
fi

passed=0 failed=0 n=0
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
  fi
}

step "HTTPS through the VIP, certificate verified against the lab CA, alternates web-01/web-02" \
  step_https_alternates
step "HTTP redirects to HTTPS" step_redirect
step "Chromium gets a page and its 41 assets over one HTTP/2 connection through the VIP" step_h2_browser
step "the client cannot reach a web server directly" step_no_direct_access
step "the guestbook: an entry written through the VIP is read on both web servers, web-02 from its replica" \
  step_guestbook_replicates
step "MySQL (3306) only between the web servers: not from the client, not from a gateway" \
  step_mysql_closed
step "kill the master gateway: the VIP moves, requests continue" step_failover
TOUR_FAILOVER_MS=${TOUR_OUTAGE_MS:-?}
step "bring the old master back" step_failback
step "stop nginx on web-01: traffic continues on web-02, the gateway reports web-01 down" \
  step_backend_down
step "stop the database primary: writes fail with a clear error (503), reads go on" \
  step_primary_down
step "promote the replica on web-02 by hand: writes work again" step_promote
step "start the old primary: it comes back as web-02's replica and catches up" \
  step_old_primary_rejoins
step "the metrics of both gateways" step_metrics

cat <<EOT

== result: $passed passed, $failed failed; failover outage measured: ${TOUR_FAILOVER_MS} ms

The lab is still up. Poke it:
  ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$VIP https://www.foobar.com/
  ip netns exec ${P}gw-1 curl -s http://127.0.0.1:9100/metrics     (also /healthz, /status)
  ip netns exec ${P}gw-2 curl -s http://127.0.0.1:9100/healthz
  ip netns exec ${P}client curl --cacert $CA --resolve www.foobar.com:443:$VIP https://www.foobar.com/ \\
    --data-urlencode name=me --data-urlencode message=hello      (sign the guestbook)
  lab/lab.sh db-status              the databases: primary, replica, GTID positions
  lab/lab.sh stop-db web-0N | start-db web-0N | promote web-0N
  lab/lab.sh status                 who holds the VIP, what runs where
  lab/lab.sh kill-gw gw-1 | start-gw gw-1 | stop-web web-01 | start-web web-01
  logs: $RUN/logs/
Remove it: make demo-down
EOT
[ "$failed" -eq 0 ]
