#!/usr/bin/env bash
# Firewall benchmark (short): a policy whose blocklist holds N addresses
# (default 100,000), applied in a scratch network namespace
#   1. rampart-fw apply FILE (read + check + compile + one netlink batch)
#   2. nft -f of `rampart-fw render FILE` (the same ruleset through nft)
#   3. adding one address to the blocklist while N are present
# Usage: bench/firewall.sh [N] [RUNS]   (root; prints one line per figure)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FW=${RAMPART_BUILD:-$ROOT/build}/rampart-fw
N=${1:-100000}
RUNS=${2:-3}
[ "$(id -u)" -eq 0 ] || { echo "bench/firewall.sh: needs root (network namespace)" >&2; exit 1; }
[ "$N" -le 131000 ] || { echo "N must fit in 198.18.0.0/15" >&2; exit 1; }
TMP=$(mktemp -d /tmp/rampart-fwbench.XXXXXX)
NS=rampart-fwbench-$$
cleanup() { ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
ip netns add "$NS" || exit 1

# the policy: gateway-like rules plus a dynamic blocklist holding N addresses
{
  printf '[policy]\nname = bench\n[set blocklist]\ntype = ipv4_addr\ndynamic = yes\ntimeout = 1h\n'
  awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) {
      a = 18 * 65536 + i; if ((i - 1) % 10 == 0) printf "%selements =", (i > 1 ? "\n" : "");
      printf " 198.%d.%d.%d", int(a / 65536), int(a / 256) % 256, a % 256 } print "" }'
  printf '[rule blocked]\nsource = @blocklist\naction = drop\ncounter = yes\n'
  printf '[rule https]\nprotocol = tcp\ndport = 443\nlimit = 50/second burst 100 per-source\naction = accept\n'
} >"$TMP/bench.policy"
"$FW" render "$TMP/bench.policy" >"$TMP/bench.nft" || exit 1

in_ns() { ip netns exec "$NS" "$@"; }
ms() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for _ in $(seq "$RUNS"); do
  in_ns "$FW" flush
  t0=$(ms); in_ns "$FW" apply "$TMP/bench.policy" >/dev/null || exit 1; t1=$(ms)
  echo $(((t1 - t0) / 1000000)) >>"$TMP/fw"
  in_ns "$FW" flush
  t0=$(ms); in_ns nft -f "$TMP/bench.nft" || exit 1; t1=$(ms)
  echo $(((t1 - t0) / 1000000)) >>"$TMP/nft"
done
count=$(in_ns nft list set inet rampart blocklist | tr ',' '\n' | grep -c '198\.')
in_ns "$FW" apply "$TMP/bench.policy" >/dev/null
# 50 additions in one process (the daemon's situation: no exec per address,
# one netlink socket kept open), one transaction each; then 50 in one
# transaction (--batch: the daemon flushes its queue that way)
in_ns "$FW" block $(seq -f "198.19.250.%g" 50) --timing | awk '{ print $4 }' >"$TMP/block"
batch_us=$(in_ns "$FW" block $(seq -f "198.19.252.%g" 50) --batch --timing | awk '{ print $5 }')
t0=$(ms); in_ns nft add element inet rampart blocklist "{ 198.19.251.1 }"; t1=$(ms)
echo "blocklist of $N addresses ($count in the kernel after nft -f), median of $RUNS runs:"
echo "  rampart-fw apply:        $(median <"$TMP/fw") ms"
echo "  nft -f rendered text:    $(median <"$TMP/nft") ms"
echo "  block one more address:  $(median <"$TMP/block") us (median of 50 in one process, one socket: batch + ack)"
[ -n "$batch_us" ] && echo "  block 50 in one batch:   $batch_us us ($((batch_us / 50)) us per address)"
echo "  nft add element (one):   $(((t1 - t0) / 1000)) us (a whole nft process)"
