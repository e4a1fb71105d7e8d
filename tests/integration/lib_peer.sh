# Helpers for the tests of the peer channel between two gateways (sourced
# after lib.sh, lib_process.sh and bench/vrrp_lib.sh): a LAN of three
# namespaces (vrrp_lan a b c: gateways 198.18.0.1 and .2, a client .3),
# each gateway a whole `rampart -c FILE` with [peer] pointing at the other.

PEER_PSK=$T_TMP/peer.psk
PEER_POLICY=$T_TMP/peer.policy

# peer_setup: certificate, the pair's key, a policy with a blocklist, an
# administrators' set (198.18.0.50: protected) and the channel's port open
# to the other gateway only.
peer_setup() {
  proc_cert || return 1
  (umask 077 && openssl rand -hex 32 >"$PEER_PSK") || return 1
  cat >"$PEER_POLICY" <<'POLICY'
[policy]
name = peer_test
input = drop
forward = drop
output = accept

[set gateways]
type = ipv4_addr
elements = 198.18.0.1, 198.18.0.2

[set admins]
type = ipv4_addr
elements = 198.18.0.50

[set blocklist]
type = ipv4_addr
dynamic = yes
timeout = 10m

[rule peer]
source = @gateways
protocol = tcp
dport = 7443
action = accept
counter = yes

[rule ssh]
source = @admins
protocol = tcp
dport = 22
action = accept

[rule blocked]
source = @blocklist
action = drop
counter = yes

[rule https]
protocol = tcp
dport = 18443
action = accept

[rule http]
protocol = tcp
dport = 18080
action = accept
POLICY
}

# peer_config NAME ME THEM [FIREWALL_LINES] [PEER_LINES]: $T_TMP/NAME.ini
# for a gateway at ME whose peer is THEM.
peer_config() {
  local name=$1 me=$2 them=$3
  proc_config "$T_TMP/$name.ini" "[firewall]
policy = $PEER_POLICY
${4:-}
[peer]
address = $them
listen = $me
psk_file = $PEER_PSK
keepalive = 200ms
dead_after = 1s
handshake_timeout = 1s
key_wait = 3s
${5:-}"
  sed -i "s/^listen_https = .*/listen_https = $me:18443/; s/^listen_http = .*/listen_http = $me:18080/; s/^enabled = no/enabled = yes/" \
    "$T_TMP/$name.ini"
}

# peer_start NAME NS [WRAPPER...]: starts rampart for NAME in NS (under
# WRAPPER, e.g. unshare, when given); PEER_PID[NAME] is rampart's own PID.
declare -A PEER_PID=()
peer_start() {
  local name=$1 ns=$2 pid child i
  shift 2
  spawn "$ns" "$T_TMP/$name.log" "$@" "$RAMPART_BUILD/rampart" -c "$T_TMP/$name.ini" >/dev/null
  pid=$!
  PEER_PID[$name]=$pid
  [ $# -eq 0 ] && return 0
  for i in $(seq 50); do # the wrapper forks rampart
    child=$(pgrep -P "$pid" -x rampart | head -n1)
    [ -n "$child" ] && { PEER_PID[$name]=$child; echo "$child" >>"$T_PIDS_LIST"; return 0; }
    sleep 0.05
  done
}

# peer_metric NS NAME: one sample of a gateway's /metrics (exact sample name).
peer_metric() {
  ip netns exec "$1" curl -s -m 2 http://127.0.0.1:9100/metrics | awk -v k="$2" '$1 == k { print $2 }'
}
peer_up() { [ "$(peer_metric "$1" 'rampart_peer_state{state="up"}')" = 1 ]; }
peer_synced() { [ "$(peer_metric "$1" rampart_peer_synced)" = 1 ]; }
# in_set NS ADDR: ADDR is in NS's blocklist set
in_set() { ip netns exec "$1" nft list set inet rampart blocklist 2>/dev/null | grep -qFw "$2"; }
not_in_set() { ! in_set "$@"; }
# expires_s NS ADDR: the seconds ADDR's block has left in NS (nft's "expires 9m58s...")
expires_s() {
  ip netns exec "$1" nft -j list set inet rampart blocklist 2>/dev/null |
    python3 -c 'import json,sys
a=sys.argv[1]
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("set",{}).get("elem",[]) or []:
        e=e.get("elem",e)
        if isinstance(e,dict) and e.get("val")==a: print(e.get("expires",0))' "$2"
}

# peer_sc NS ADDR ARGS...: one request through openssl s_client to ADDR:18443.
peer_sc() {
  local ns=$1 addr=$2
  shift 2
  printf 'GET / HTTP/1.1\r\nHost: www.foobar.com\r\nConnection: close\r\n\r\n' |
    ip netns exec "$ns" timeout 10 openssl s_client -connect "$addr:18443" -tls1_3 -ign_eof "$@" 2>&1
}
# peer_resumed NS ADDR SESSION_FILE: "Reused" or "New"
peer_resumed() { peer_sc "$1" "$2" -sess_in "$3" | grep -oE '^(Reused|New)' | head -n1; }

# peer_inject NS ADDR FRAMES...: frames (peer_frames.py) sent inside TLS
# with the pair's key, from NS (the peer's address) to ADDR's channel.
peer_inject() {
  local ns=$1 addr=$2
  shift 2
  (python3 "$RAMPART_ROOT/tests/integration/peer_frames.py" "$@" 2>/dev/null; sleep 0.5) |
    ip netns exec "$ns" timeout 10 openssl s_client -connect "$addr:7443" -psk "$(cat "$PEER_PSK")" \
      -psk_identity rampart-peer -tls1_3 -nocommands -quiet >/dev/null 2>&1
  # what the receiving side made of it, for the log
  grep -E "peer_(up|down|frame_dropped|handshake_failed)" "$T_TMP/a.log" 2>/dev/null | tail -n 2 | sed 's/^/# a: /'
  return 0
}
