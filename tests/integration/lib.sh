# Shared helpers for integration tests. Source it from a test script:
#   . "$(dirname "$0")/lib.sh"
#
# Rules (ARCHITECTURE.md, "Invariants"): networks only inside namespaces this script creates,
# addresses only from 198.18.0.0/15 (or 127.0.0.1), and everything created
# is removed on exit, even on failure. Processes are stopped by PID.
#
# Results: `ok NAME` / `not_ok NAME [why]` print TAP-style lines that
# scripts/run-tests.sh counts. `check NAME CMD...` runs CMD and reports.

set -u
RAMPART_ROOT=${RAMPART_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RAMPART_BUILD=${RAMPART_BUILD:-$RAMPART_ROOT/build}
# A short tag unique to this run, so parallel runs never share a namespace.
T_TAG=${T_TAG:-r$$}
T_TMP=$(mktemp -d "/tmp/rampart-test-$T_TAG.XXXXXX")
# What to remove on exit is recorded in files, not shell arrays, so that
# helpers called as `ns=$(netns_add x)` (a subshell) still register.
T_NETNS_LIST=$T_TMP/.netns
T_PIDS_LIST=$T_TMP/.pids
: >"$T_NETNS_LIST"
: >"$T_PIDS_LIST"
T_FAILED=0

ok() { echo "ok - $1"; }
not_ok() {
  echo "not ok - $1${2:+ ($2)}"
  T_FAILED=$((T_FAILED + 1))
}
note() { echo "# $*"; }
# sanitized_build: the binaries under test are built with ASan (make asan).
sanitized_build() { ldd "$RAMPART_BUILD/rampart" | grep -q libasan; }

# check NAME CMD...: ok when CMD exits 0.
check() {
  local name=$1
  shift
  if "$@" >"$T_TMP/check.out" 2>&1; then ok "$name"; else
    not_ok "$name" "$(tail -n 3 "$T_TMP/check.out" | tr '\n' ' ')"
  fi
}
# check_fails NAME CMD...: ok when CMD exits non-zero.
check_fails() {
  local name=$1
  shift
  if "$@" >"$T_TMP/check.out" 2>&1; then not_ok "$name" "expected failure, got success"; else ok "$name"; fi
}
# check_eq NAME EXPECTED ACTUAL
check_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected '$2', got '$3'"; fi
}

# netns_add NAME: creates namespace "$T_TAG-NAME" with loopback up; prints it.
netns_add() {
  local ns="$T_TAG-$1"
  ip netns add "$ns" || return 1
  echo "$ns" >>"$T_NETNS_LIST"
  ip -n "$ns" link set lo up
  echo "$ns"
}

# veth_pair NS1 IF1 ADDR1 NS2 IF2 ADDR2: a link between two namespaces.
veth_pair() {
  local tmp1="v$$a$RANDOM" tmp2="v$$b$RANDOM"
  ip link add "$tmp1" type veth peer name "$tmp2" || return 1
  ip link set "$tmp1" netns "$1"
  ip link set "$tmp2" netns "$4"
  ip -n "$1" link set "$tmp1" name "$2"
  ip -n "$4" link set "$tmp2" name "$5"
  [ -n "$3" ] && ip -n "$1" addr add "$3" dev "$2"
  [ -n "$6" ] && ip -n "$4" addr add "$6" dev "$5"
  ip -n "$1" link set "$2" up
  ip -n "$4" link set "$5" up
}

# bridge_add NS NAME: a bridge inside a namespace (a LAN segment).
bridge_add() {
  ip -n "$1" link add "$2" type bridge && ip -n "$1" link set "$2" up
}

# spawn NS LOGFILE CMD...: starts CMD in namespace NS (or "-" for none) in
# the background; remembers its PID for cleanup and prints it.
spawn() {
  local ns=$1 log=$2
  shift 2
  if [ "$ns" = "-" ]; then
    "$@" >"$log" 2>&1 &
  else
    ip netns exec "$ns" "$@" >"$log" 2>&1 &
  fi
  local pid=$!
  echo "$pid" >>"$T_PIDS_LIST"
  echo "$pid"
}

# stop_pid PID [SIGNAL]: signals one process we started and waits for it.
stop_pid() {
  local pid=$1 sig=${2:-TERM} i
  kill -"$sig" "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  while [ $SECONDS -le $deadline ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# wait_port NS ADDR PORT: waits up to 10 s for a TCP listener.
wait_port() {
  wait_for 10 ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

t_cleanup() {
  local pid ns pids=() namespaces=()
  mapfile -t pids <"$T_PIDS_LIST" 2>/dev/null
  mapfile -t namespaces <"$T_NETNS_LIST" 2>/dev/null
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  [ ${#pids[@]} -gt 0 ] && sleep 0.2
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  for ns in "${namespaces[@]}"; do
    # any process left inside a namespace we own is ours: end it by PID
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$T_TMP"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# t_done: call at the end; exit status reflects the failures.
t_done() { [ "$T_FAILED" -eq 0 ]; }

require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    not_ok "$(basename "$0")" "needs root"
    exit 1
  fi
}
