#!/usr/bin/env bash
# End to end on the foobar.com lab: the same lab (lab/lab.sh) and the same
# tour steps (lab/tour.sh) as `make demo`, under a per-run namespace prefix
# and run directory so it never meets a demo lab or a parallel run.
. "$(dirname "$0")/lib.sh"
require_root

export LAB_PREFIX="$T_TAG-" LAB_RUN="$T_TMP/run" RAMPART_BUILD
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
tour_step "the client cannot reach a web server directly" step_no_direct_access
tour_step "master killed: VIP moves, requests continue" step_failover
tour_step "old master back: takes the VIP again" step_failback
tour_step "web-01 stopped: traffic on web-02, metrics show web-01 down" step_backend_down
tour_step "both gateways serve /metrics that promtool accepts" step_metrics

"$LAB_SH" down >/dev/null 2>&1
left=$(ip netns list | awk '{print $1}' | grep -c "^$LAB_PREFIX" || true)
check_eq "lab.sh down removes every namespace" 0 "$left"
check "lab.sh down leaves only the certificates" bash -c "[ \"\$(ls '$LAB_RUN')\" = pki ]"
t_done
