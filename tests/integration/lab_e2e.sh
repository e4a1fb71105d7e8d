#!/usr/bin/env bash
# End to end on the foobar.com lab: the same lab (lab/lab.sh) and the same
# tour steps (lab/tour.sh) as `make demo`, under a per-run namespace prefix
# and run directory so it never meets a demo lab or a parallel run.
. "$(dirname "$0")/lib.sh"
require_root

export LAB_PREFIX="$T_TAG-" LAB_RUN="$T_TMP/run" RAMPART_BUILD
# MariaDB (mysql), the application (www-data) and nginx's workers (nobody)
# walk through the run directory to their files: open it for traversal only
chmod 711 "$T_TMP"
LAB_SH=$RAMPART_ROOT/lab/lab.sh
trap '"$LAB_SH" down >/dev/null 2>&1; t_cleanup' EXIT
. "$RAMPART_ROOT/lab/tour.sh"

"$LAB_SH" up >"$T_TMP/up.log" 2>&1
up_rc=$?
sed 's/^/# /' "$T_TMP/up.log"
if [ $up_rc -ne 0 ]; then
  not_ok "the lab comes up" "see the lines above"
  for f in "$LAB_RUN"/logs/gw-*.log; do [ -f "$f" ] && tail -n 5 "$f" | sed "s|^|# $(basename "$f"): |"; done
  exit 1
fi
ok "the lab comes up (VIP on $(master))"

tour_step() { # NAME FUNCTION: the step's output as comments, then ok/not ok
  local name=$1 rc
  "$2" >"$T_TMP/step.out" 2>&1
  rc=$?
  sed 's/^/# /' "$T_TMP/step.out"
  if [ $rc -eq 0 ]; then ok "$name"; else not_ok "$name"; fi
}

tour_step "HTTPS via the VIP verifies and alternates web-01/web-02" step_https_alternates
tour_step "HTTP redirects to HTTPS" step_redirect
tour_step "Chromium gets a page and its 41 assets over one HTTP/2 connection through the VIP" step_h2_browser
tour_step "the client cannot reach a web server directly" step_no_direct_access
tour_step "guestbook: a write via the VIP is read on both web servers, web-02 from its replica" \
  step_guestbook_replicates
tour_step "3306 unreachable from the client and the gateways, open web-02 -> web-01; kernel runs web.policy" \
  step_mysql_closed
tour_step "a TLS session through the VIP, saved" step_session_saved
tour_step "master killed: VIP moves, requests continue" step_failover
tour_step "the session resumes on the survivor (Reused: shared ticket keys)" step_session_resumed
tour_step "old master back: takes the VIP again" step_failback
tour_step "web-01 stopped: traffic on web-02, metrics show web-01 down" step_backend_down
tour_step "primary stopped: writes get 503 with a message, reads go on" step_primary_down
tour_step "promote web-02: writes work again and are read on both web servers" step_promote
tour_step "old primary started again: replica of web-02, caught up" step_old_primary_rejoins
tour_step "both gateways serve /metrics that promtool accepts" step_metrics

# every process the lab started (nginx, php-fpm, MariaDB, gateways), by the
# PIDs it recorded: none may outlive `down`
lab_pids=$(cat "$LAB_RUN"/pids/*.pid 2>/dev/null | tr '\n' ' ')
note "processes before down: $lab_pids"
"$LAB_SH" down >/dev/null 2>&1
alive_after=""
for pid in $lab_pids; do kill -0 "$pid" 2>/dev/null && alive_after="$alive_after $pid"; done
check_eq "lab.sh down stops every process it started" "" "$alive_after"
left=$(ip netns list | awk '{print $1}' | grep -c "^$LAB_PREFIX" || true)
check_eq "lab.sh down removes every namespace" 0 "$left"
check "lab.sh down leaves only the certificates" bash -c "[ \"\$(ls '$LAB_RUN')\" = pki ]"
t_done
