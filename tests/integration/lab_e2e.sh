#!/usr/bin/env bash
# End to end on the foobar.com lab: the same lab (lab/lab.sh) and the same
# tour steps (lab/tour.sh, lab/tour_pair.sh) as `make demo`, under a per-run
# namespace prefix and run directory so it never meets a demo lab or a
# parallel run. The pair is active-active: VIP-A mastered by gw-1, VIP-B by
# gw-2; besides the steps' own checks, who holds which VIP is asserted at
# rest, after gw-1 is killed and after it returns.
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
ok "the lab comes up"
check_eq "at rest: VIP-A $VIP_A on gw-1" gw-1 "$(holder "$VIP_A")"
check_eq "at rest: VIP-B $VIP_B on gw-2" gw-2 "$(holder "$VIP_B")"

tour_step() { # NAME FUNCTION: the step's output as comments, then ok/not ok
  local name=$1 rc
  "$2" >"$T_TMP/step.out" 2>&1
  rc=$?
  sed 's/^/# /' "$T_TMP/step.out"
  if [ $rc -eq 0 ]; then ok "$name"; else not_ok "$name"; fi
}

tour_step "HTTPS via each VIP: answered by its own Master (connection counters), alternates web-01/web-02" \
  step_vips_answer
tour_step "DNS round robin over both records: VIP-A on gw-1, VIP-B on gw-2 answer in turn" step_dns_round_robin
tour_step "HTTP redirects to HTTPS" step_redirect
tour_step "Chromium gets a page and its 41 assets over one HTTP/2 connection through the VIP" step_h2_browser
tour_step "the client cannot reach a web server directly" step_no_direct_access
tour_step "guestbook: a write via the VIP is read on both web servers, web-02 from its replica" \
  step_guestbook_replicates
tour_step "3306 unreachable from the client and the gateways, open web-02 -> web-01; kernel runs web.policy" \
  step_mysql_closed
tour_step "a TLS session made through VIP-A with gw-1, saved; it resumes through VIP-B on gw-2" step_session_saved
tour_step "a block by hand on gw-1 reaches gw-2 (same time left), refused through VIP-B; unblock on gw-2 lifts it on gw-1" \
  step_blocklist_shared
tour_step "gw-1 killed: VIP-A moves to gw-2, VIP-B's instance on gw-2 unchanged, requests go on through both" \
  step_failover
check_eq "after the kill: VIP-A $VIP_A on gw-2" gw-2 "$(holder "$VIP_A")"
check_eq "after the kill: VIP-B $VIP_B on gw-2" gw-2 "$(holder "$VIP_B")"
tour_step "the session made with gw-1 resumes on gw-2 through VIP-A (Reused: shared ticket keys)" \
  step_session_resumed
tour_step "gw-2 alone blocks an address by hand: refused through both VIPs" step_blocklist_survivor
tour_step "gw-1 back: preempts VIP-A only; its vip-b instance is Backup" step_failback
check_eq "after the return: VIP-A $VIP_A on gw-1" gw-1 "$(holder "$VIP_A")"
check_eq "after the return: VIP-B $VIP_B on gw-2" gw-2 "$(holder "$VIP_B")"
tour_step "the returning gw-1 got gw-2's block from its peer; unblock on gw-1 lifts it on gw-2" \
  step_blocklist_catch_up
tour_step "web-01 stopped: traffic on web-02, metrics show web-01 down" step_backend_down
tour_step "primary stopped: writes get 503 with a message, reads go on" step_primary_down
tour_step "promote web-02: writes work again and are read on both web servers" step_promote
tour_step "old primary started again: replica of web-02, caught up" step_old_primary_rejoins
tour_step "both gateways serve /metrics that promtool accepts" step_metrics
for f in "${TOUR_FACTS[@]}"; do note "$f"; done

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
