#!/usr/bin/env bash
# examples/prometheus-rules.yml: promtool accepts it, every alert fires in
# examples/prometheus-rules.test.yml (promtool test rules) on the series
# meant to fire it, and every rampart_* metric the rules read is one the
# daemon's /metrics really serves (the real renderer, through
# `test_admin --serve`, as admin_pages.sh uses it).
. "$(dirname "$0")/lib.sh"
RULES=$RAMPART_ROOT/examples/prometheus-rules.yml
TESTS=$RAMPART_ROOT/examples/prometheus-rules.test.yml
command -v promtool >/dev/null || { not_ok "promtool installed (apt-get install prometheus)"; exit 1; }

check "promtool check rules" promtool check rules "$RULES"
# promtool resolves rule_files relative to the test file
check "promtool test rules: every case passes" promtool test rules "$TESTS"

alerts=$(sed -nE 's/^ *- alert: ([A-Za-z0-9]+)$/\1/p' "$RULES" | sort)
check "the rules define alerts" test -n "$alerts"
# alertnames with at least one non-empty exp_alerts in the tests
fired=$(awk '/alertname:/ { name = $2 } /exp_alerts:$/ { print name }' "$TESTS" | sort -u)
silent=$(comm -23 <(echo "$alerts") <(echo "$fired") | tr '\n' ' ')
check_eq "every alert has a test series that fires it" "" "$silent"
quiet=$(awk '/alertname:/ { name = $2 } /exp_alerts: \[\]$/ { print name }' "$TESTS" | sort -u)
unchecked=$(comm -23 <(echo "$alerts") <(echo "$quiet") | tr '\n' ' ')
check_eq "every alert has a test series on which it stays quiet" "" "$unchecked"

BIN=$RAMPART_BUILD/tests/test_admin
if [ ! -x "$BIN" ]; then not_ok "metric names" "$BIN missing (make unit)"; t_done; exit; fi
pid=$(spawn - "$T_TMP/serve.out" "$BIN" --serve)
wait_for 10 test -s "$T_TMP/serve.out" || { not_ok "admin server starts"; exit 1; }
curl -sS --max-time 5 -o "$T_TMP/metrics" "http://127.0.0.1:$(head -n1 "$T_TMP/serve.out")/metrics"
stop_pid "$pid"
served=$(sed -nE 's/^# TYPE (rampart_[a-z0-9_]+) .*/\1/p' "$T_TMP/metrics" | sort -u)
used=$(grep -v '^ *#' "$RULES" | grep -oE 'rampart_[a-z0-9_]+' | sort -u)
check "the rules read rampart_* metrics" test -n "$used"
unknown=$(comm -23 <(echo "$used") <(echo "$served") | tr '\n' ' ')
check_eq "every metric the rules read is served on /metrics" "" "$unknown"
t_done
