#!/usr/bin/env bash
# Runs every test suite and ends with one line: "N passed, N failed".
#   unit:        each build/tests/test_* (cmocka); its own summary is shown
#   integration: each tests/integration/*.sh (root, network namespaces);
#                scripts print "ok - NAME" / "not ok - NAME" per check
# Usage: scripts/run-tests.sh [BUILD_DIR] [FILTER]
# FILTER (a substring) runs only the suites whose file name contains it.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
FILTER=${2:-${TESTS:-}}
cd "$ROOT" || exit 1
export RAMPART_BUILD=$ROOT/$BUILD RAMPART_ROOT=$ROOT

passed=0 failed=0
failed_suites=()
LOGDIR=$ROOT/$BUILD/test-logs
mkdir -p "$LOGDIR"

count() { grep -cE "$1" "$2" 2>/dev/null || true; }

run_unit() {
  local bin=$1 name log p f
  name=$(basename "$bin")
  log=$LOGDIR/$name.log
  CMOCKA_MESSAGE_OUTPUT=stdout "$bin" >"$log" 2>&1
  local rc=$?
  p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) test.*/\1/p' "$log" | tail -n1)
  f=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) test.*/\1/p' "$log" | tail -n1)
  p=${p:-0} f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed before its summary
  grep -E '^\[  (PASSED|FAILED) +\]|^\[  ERROR   \]' "$log" | sed "s/^/  $name: /"
  # skipped cases are no pass: say how many, and the first reason given
  grep -E ' SKIPPED TEST' "$log" | sed "s/^ */  $name: /"
  grep -m1 -E '^\[  SKIP    \]' "$log" | sed "s/^/    /"
  [ "$f" -gt 0 ] && { grep -E '^\[  FAILED  \] |^\[  ERROR   \]|error:|Error' "$log" | head -n 20 | sed 's/^/    /'; failed_suites+=("$name"); }
  passed=$((passed + p)) failed=$((failed + f))
}

run_integration() {
  local script=$1 name log p f rc
  name=$(basename "$script" .sh)
  log=$LOGDIR/integration-$name.log
  if [ "$(id -u)" -ne 0 ]; then
    echo "  $name: not ok (integration tests need root for network namespaces)"
    failed=$((failed + 1)); failed_suites+=("$name"); return
  fi
  echo "  $name: running"
  local started=$SECONDS
  timeout --kill-after=10 "${INTEGRATION_TIMEOUT:-600}" bash "$script" >"$log" 2>&1
  rc=$?
  echo "  $name: finished in $((SECONDS - started)) s"
  p=$(count '^ok - ' "$log") f=$(count '^not ok - ' "$log")
  grep -E '^(ok|not ok) - |^# ' "$log" | sed "s/^/    /"
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "    not ok - $name exited with status $rc (log: $log)"; f=1
    tail -n 15 "$log" | sed 's/^/      /'
  fi
  [ "$f" -gt 0 ] && failed_suites+=("$name")
  passed=$((passed + p)) failed=$((failed + f))
}

echo "== unit tests ($BUILD/tests)"
for bin in "$BUILD"/tests/test_*; do
  [ -x "$bin" ] || continue
  [ -n "$FILTER" ] && [[ $bin != *"$FILTER"* ]] && continue
  run_unit "$bin"
done

echo "== integration tests (tests/integration)"
for script in tests/integration/*.sh; do
  [ -f "$script" ] || continue
  [[ $(basename "$script") == lib* ]] && continue
  [ -n "$FILTER" ] && [[ $script != *"$FILTER"* ]] && continue
  run_integration "$script"
done

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
  echo "failing suites: ${failed_suites[*]} (logs in $LOGDIR)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
