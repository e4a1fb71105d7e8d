# Helpers for the VRRP integration tests and bench/vrrp.sh. Source after
# tests/integration/lib.sh. Everything runs in namespaces made by lib.sh.
#
#   vrrp_build_driver                 builds bench/vrrp_driver.c -> $VRRP_DRIVER
#   vrrp_lan NAMES...                 a bridge namespace + one namespace per
#                                     name, eth0 = 198.18.0.(1,2,3...)/24 and
#                                     fd00:198:18::(1,2,3...)/64 (a ULA, no DAD)
#   has_vip NS / has_vip6 NS          the VIP (IPv4 / IPv6) is on NS's eth0
#   ll_ready NS                       NS's link-local address has passed DAD
#   rp_start NS TAG PRIO [ARGS...]    a Rampart VRRP node (prints PID); rp_start6 for the IPv6 VIP
#   ka_start NS TAG PRIO [ADVERT_S] [EXTRA]   keepalived, VRRPv3 (prints PID);
#                                     KA_VIP overrides the VIP (KA_VIP=$VRRP_VIP6/64)
#   ka_kill NS                        SIGKILL every keepalived of NS, by PID
#   rp_start_aa NS TAG PRIO_A PRIO_B  active-active: VIP-A ($VRRP_VIP, VRID 51) and
#   ka_start_aa NS TAG PRIO_A PRIO_B  VIP-B ($VRRP_VIP_B, VRID 52), two instances
#                                     (rp_start_aa needs lib_process.sh and proc_cert)

VRRP_VIP=${VRRP_VIP:-198.18.0.10}
VRRP_VIP6=${VRRP_VIP6:-fd00:198:18::10}
VRRP_VIP_B=${VRRP_VIP_B:-198.18.0.11}
VRRP_VRID=${VRRP_VRID:-51}
VRRP_DRIVER=$T_TMP/vrrp_driver
declare -A VRRP_NS=()

vrrp_build_driver() {
  local san=()
  # the ASan build's library needs the sanitizer runtime too
  [[ $RAMPART_BUILD == *asan* ]] && san=(-fsanitize=address,undefined)
  cc -std=c11 -O1 -g -D_GNU_SOURCE -I"$RAMPART_ROOT" "${san[@]}" -o "$VRRP_DRIVER" \
    "$RAMPART_ROOT/bench/vrrp_driver.c" "$RAMPART_BUILD/librampart.a" -lmnl -linih
}

# vrrp_lan a b c: namespaces joined by a bridge in namespace "sw"; NAME's
# namespace is ${VRRP_NS[NAME]}, its address 198.18.0.N in argument order.
vrrp_lan() {
  local sw i=1 name ns
  sw=$(netns_add sw) || return 1
  bridge_add "$sw" br0
  for name in "$@"; do
    ns=$(netns_add "$name") || return 1
    VRRP_NS[$name]=$ns
    veth_pair "$ns" eth0 "198.18.0.$i/24" "$sw" "p$name" ""
    ip -n "$ns" addr add "fd00:198:18::$i/64" dev eth0 nodad
    ip -n "$sw" link set "p$name" master br0
    i=$((i + 1))
  done
  VRRP_NS[sw]=$sw
}

has_vip() { ip -n "$1" -4 addr show dev eth0 | grep -q "inet $VRRP_VIP/"; }
no_vip() { ! has_vip "$1"; }
has_vip6() { ip -n "$1" -6 addr show dev eth0 | grep -q "inet6 $VRRP_VIP6/"; }
no_vip6() { ! has_vip6 "$1"; }
ll_ready() { ip -n "$1" -6 addr show dev eth0 scope link | grep -v tentative | grep -q "inet6 fe80:"; }

rp_start() {
  local ns=$1 tag=$2 prio=$3
  shift 3
  spawn "$ns" "$T_TMP/$tag.log" "$VRRP_DRIVER" -i eth0 -v "$VRRP_VRID" -p "$prio" \
    -a "${VRRP_ADVERT_CS:-10}" -V "$VRRP_VIP/24" -s "$T_TMP/$tag.stats" "$@"
}

rp_start6() {
  local ns=$1 tag=$2 prio=$3
  shift 3
  spawn "$ns" "$T_TMP/$tag.log" "$VRRP_DRIVER" -i eth0 -v "$VRRP_VRID" -p "$prio" \
    -a "${VRRP_ADVERT_CS:-10}" -V "$VRRP_VIP6/64" -s "$T_TMP/$tag.stats" "$@"
}

# rp_stat PID TAG KEY: one counter from the node's stats file (SIGHUP writes it).
rp_stat() {
  kill -HUP "$1" 2>/dev/null
  sleep 0.2
  awk -v k="$3" '$1 == k { print $2 }' "$T_TMP/$2.stats"
}

# ka_start NS TAG PRIO [ADVERT_S] [EXTRA_INSTANCE_LINES]
ka_start() {
  local ns=$1 tag=$2 prio=$3 adv=${4:-0.1} extra=${5:-}
  cat >"$T_TMP/$tag.conf" <<EOF
global_defs {
  router_id $tag
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id $VRRP_VRID
  priority $prio
  advert_int $adv
  virtual_ipaddress {
    ${KA_VIP:-$VRRP_VIP/24}
  }
  $extra
}
EOF
  spawn "$ns" "$T_TMP/$tag.log" keepalived -n -l -D -P -f "$T_TMP/$tag.conf" \
    -p "$T_TMP/$tag.pid" -r "$T_TMP/$tag.vrrp.pid"
}

# keepalived runs a parent and a VRRP child: a "crash" kills both at once.
# Both are stopped first, so neither can react to the other's death (the
# parent would respawn the child; the child would leave cleanly, priority 0).
ka_kill() {
  local pid pids=()
  for pid in $(ip netns pids "$1"); do
    [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = keepalived ] && pids+=("$pid")
  done
  [ ${#pids[@]} -gt 0 ] && kill -STOP "${pids[@]}" && kill -KILL "${pids[@]}"
  return 0
}

# Active-active, Rampart: the two instances of a whole rampart.ini (the
# driver reads it with the daemon's reader, which wants the rest too).
rp_start_aa() {
  local ns=$1 tag=$2 pa=$3 pb=$4
  proc_config "$T_TMP/$tag.ini" "[vrrp a]
interface = eth0
vrid = $VRRP_VRID
priority = $pa
advert_interval = ${VRRP_ADVERT_CS:-10}0ms
virtual_ip = $VRRP_VIP/24
[vrrp b]
interface = eth0
vrid = $((VRRP_VRID + 1))
priority = $pb
advert_interval = ${VRRP_ADVERT_CS:-10}0ms
virtual_ip = $VRRP_VIP_B/24"
  spawn "$ns" "$T_TMP/$tag.log" "$VRRP_DRIVER" -c "$T_TMP/$tag.ini" -s "$T_TMP/$tag.stats"
}

# Active-active, keepalived: two vrrp_instance blocks.
ka_start_aa() {
  local ns=$1 tag=$2 pa=$3 pb=$4 adv=${5:-0.1}
  cat >"$T_TMP/$tag.conf" <<EOF
global_defs {
  router_id $tag
  vrrp_version 3
}
vrrp_instance VI_A {
  state BACKUP
  interface eth0
  virtual_router_id $VRRP_VRID
  priority $pa
  advert_int $adv
  virtual_ipaddress {
    $VRRP_VIP/24
  }
}
vrrp_instance VI_B {
  state BACKUP
  interface eth0
  virtual_router_id $((VRRP_VRID + 1))
  priority $pb
  advert_int $adv
  virtual_ipaddress {
    $VRRP_VIP_B/24
  }
}
EOF
  spawn "$ns" "$T_TMP/$tag.log" keepalived -n -l -D -P -f "$T_TMP/$tag.conf" \
    -p "$T_TMP/$tag.pid" -r "$T_TMP/$tag.vrrp.pid"
}
