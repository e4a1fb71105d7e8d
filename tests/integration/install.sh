#!/usr/bin/env bash
# `make install DESTDIR=...` into an empty tree: exactly the files listed
# here, a second install keeps an edited /etc/rampart, `make uninstall`
# leaves only /etc/rampart. The installed systemd units pass
# `systemd-analyze verify` (with their paths moved into the tree) and
# `systemd-analyze security --offline` rates them at or below the figures
# rampart(8) claims. And the sandbox of rampart.service fits the daemon:
# the installed binary, run with the unit's capability bounding set (and
# no_new_privs, as the unit asks) through start, reload and stop (VRRP, firewall, admin, access log and
# PID file on), makes no system call outside the unit's SystemCallFilter,
# opens no socket family outside RestrictAddressFamilies and writes only
# where the unit lets it (its PID file and access log).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$RAMPART_ROOT/bench/vrrp_lib.sh"
require_root
RAMPART_EXPOSURE_MAX=2.6    # rampart.service, as claimed in rampart(8)
FW_APPLY_EXPOSURE_MAX=1.4   # rampart-fw-apply.service
command -v systemd-analyze >/dev/null || { not_ok "systemd-analyze installed (apt-get install systemd)"; exit 1; }

ROOT_DIR=$T_TMP/root
P=usr/local
install_into() { make -s -C "$RAMPART_ROOT" BUILD="$RAMPART_BUILD" DESTDIR="$1" install >"$T_TMP/install.out" 2>&1; }
check "make install DESTDIR=... succeeds" install_into "$ROOT_DIR"

expected="etc/rampart/gateway.policy
etc/rampart/rampart.ini
$P/lib/systemd/system/rampart-fw-apply.service
$P/lib/systemd/system/rampart.service
$P/lib/sysusers.d/rampart.conf
$P/sbin/rampart
$P/sbin/rampart-fw
$P/share/doc/rampart/ARCHITECTURE.md
$P/share/doc/rampart/README.md
$P/share/doc/rampart/SECURITY.md
$P/share/doc/rampart/examples/bird-router.conf
$P/share/doc/rampart/examples/bird.conf
$P/share/doc/rampart/examples/prometheus-rules.test.yml
$P/share/doc/rampart/examples/prometheus-rules.yml
$P/share/doc/rampart/examples/rampart-bgp.service.conf
$P/share/doc/rampart/examples/rampart.ini
$P/share/doc/rampart/examples/router-pin-flows.nft
$P/share/doc/rampart/policies/bgp-router.policy
$P/share/doc/rampart/policies/examples/blocklist-only.policy
$P/share/doc/rampart/policies/examples/router.policy
$P/share/doc/rampart/policies/examples/single-web-server.policy
$P/share/doc/rampart/policies/examples/strict-output.policy
$P/share/doc/rampart/policies/gateway.policy
$P/share/doc/rampart/policies/web.policy
$P/share/man/man5/policy.5
$P/share/man/man5/rampart.ini.5
$P/share/man/man8/rampart-fw.8
$P/share/man/man8/rampart.8"
installed=$(cd "$ROOT_DIR" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort)
if [ "$installed" = "$expected" ]; then ok "installs exactly the listed files"; else
  not_ok "installs exactly the listed files" "$(diff <(echo "$expected") <(echo "$installed") | grep '^[<>]' | tr '\n' ' ')"
fi
check_eq "programs are executable (0755)" "755 755" \
  "$(stat -c %a "$ROOT_DIR/$P/sbin/rampart" "$ROOT_DIR/$P/sbin/rampart-fw" | tr '\n' ' ' | sed 's/ $//')"
check "the installed rampart runs" "$ROOT_DIR/$P/sbin/rampart" --version
check "the installed config checks as a config (rampart -t names only its missing certificates)" \
  bash -c "'$ROOT_DIR/$P/sbin/rampart' -t -c '$ROOT_DIR/etc/rampart/rampart.ini' 2>&1 | grep -q 'www.foobar.com.crt'"
check_fails "units carry no placeholder" grep -q '@[A-Z]*@' "$ROOT_DIR"/$P/lib/systemd/system/*.service
check "rampart.service runs the installed binary with the /etc config" \
  grep -qx "ExecStart=/$P/sbin/rampart -c /etc/rampart/rampart.ini" "$ROOT_DIR/$P/lib/systemd/system/rampart.service"

check "systemd-sysusers reads the installed entry: it would create the relay's user" \
  bash -c "systemd-sysusers --root='$ROOT_DIR' --dry-run 2>&1 | grep -q \"Creating user 'rampart' (Rampart relay)\""
check "... and the key holder's" \
  bash -c "systemd-sysusers --root='$ROOT_DIR' --dry-run 2>&1 | grep -q \"Creating user 'rampart-keys' (Rampart key holder)\""
echo "# edited" >>"$ROOT_DIR/etc/rampart/rampart.ini"
install_into "$ROOT_DIR"
check "a second install keeps an edited /etc/rampart/rampart.ini" grep -qx "# edited" "$ROOT_DIR/etc/rampart/rampart.ini"
check "... and says so" grep -q "KEEP .*etc/rampart/rampart.ini (exists)" "$T_TMP/install.out"

# ---- the units: verify, with their paths inside the tree -----------------------
mkdir -p "$T_TMP/units"
for u in rampart rampart-fw-apply; do
  sed -e "s|=/$P/sbin/|=$ROOT_DIR/$P/sbin/|g" -e "s| /etc/rampart/| $ROOT_DIR/etc/rampart/|g" \
    "$ROOT_DIR/$P/lib/systemd/system/$u.service" >"$T_TMP/units/$u.service"
done
# verify runs man(1) for every Documentation=man: page: they are in the tree
verify() { MANPATH=$ROOT_DIR/$P/share/man systemd-analyze verify "$@" >"$T_TMP/verify.out" 2>&1 && ! [ -s "$T_TMP/verify.out" ]; }
check "systemd-analyze verify accepts both units, without a warning" \
  verify "$T_TMP/units/rampart.service" "$T_TMP/units/rampart-fw-apply.service"
cat "$T_TMP/verify.out" | sed 's/^/# /'
sed 's/^KillMode=mixed/KillMode=mixd/' "$T_TMP/units/rampart.service" >"$T_TMP/bad.service"
check_fails "systemd-analyze verify as used here does catch a bad line" verify "$T_TMP/bad.service"

# rating UNIT MAX: the "Overall exposure level" figure, which must be <= MAX
rating() {
  local figure
  figure=$(systemd-analyze security --offline=yes --no-pager "$T_TMP/units/$1.service" 2>/dev/null |
    sed -nE "s/^.*Overall exposure level for $1\.service: ([0-9]+\.[0-9]+) .*/\1/p")
  if [ -z "$figure" ]; then not_ok "$1: exposure rating parses"; return; fi
  ok "$1: exposure rating parses ($figure)"
  check "$1: exposure $figure <= $2" awk -v a="$figure" -v b="$2" 'BEGIN { exit !(a <= b) }'
}
rating rampart "$RAMPART_EXPOSURE_MAX"
rating rampart-fw-apply "$FW_APPLY_EXPOSURE_MAX"

# ---- the sandbox fits the daemon ------------------------------------------------
unit=$ROOT_DIR/$P/lib/systemd/system/rampart.service
# setpriv --bounding-set from CapabilityBoundingSet=CAP_A CAP_B
bounding=-all$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | sed 's/^CAP_//' |
  tr 'A-Z' 'a-z' | sed 's/^/,+/' | tr -d '\n')
vrrp_lan gw
ns=${VRRP_NS[gw]}
proc_cert || { not_ok "certificate"; exit 1; }
cp "$RAMPART_ROOT/policies/gateway.policy" "$T_TMP/gateway.policy"
mkdir -p "$T_TMP/run" "$T_TMP/log"
proc_config "$T_TMP/r.ini" "[vrrp]
enabled = yes
interface = eth0
vrid = $VRRP_VRID
priority = 200
advert_interval = 100ms
virtual_ip = $VRRP_VIP/24
[firewall]
policy = $T_TMP/gateway.policy"
sed -i -e 's/^enabled = no/enabled = yes\nlisten = 127.0.0.1:19100/' \
  -e "s|^drain_timeout = .*|&\npid_file = $T_TMP/run/rampart.pid\naccess_log = $T_TMP/log/access.log|" "$T_TMP/r.ini"
# strace outside the restriction: a tracer without CAP_SYS_PTRACE would
# itself stop each relay's exec from gaining its capabilities
nnp=()
grep -qx 'NoNewPrivileges=yes' "$unit" && nnp=(--no-new-privs)
spawn "$ns" "$T_TMP/r.log" strace -f -qq -s 256 -o "$T_TMP/strace.out" \
  setpriv "${nnp[@]}" --bounding-set="$bounding" "$ROOT_DIR/$P/sbin/rampart" -c "$T_TMP/r.ini" >/dev/null
if wait_for 15 grep -q "relay_ready proc=parent" "$T_TMP/r.log"; then ok "with the unit's bounding set ($bounding) ${nnp[*]}: starts"
else not_ok "with the unit's bounding set ($bounding) ${nnp[*]}: starts" "$(grep -m 3 error "$T_TMP/r.log" | tr "\n" " ")"; fi
check "... serves its admin pages" wait_for 5 \
  ip netns exec "$ns" curl -sf -o /dev/null --max-time 2 http://127.0.0.1:19100/status
ip netns exec "$ns" curl -sk -o /dev/null --max-time 2 https://127.0.0.1:18443/ || true
rpid=$(cat "$T_TMP/run/rampart.pid" 2>/dev/null)
kill -HUP "$rpid" 2>/dev/null
check "... reloads" wait_for 10 grep -q "reload_done" "$T_TMP/r.log"
kill -TERM "$rpid" 2>/dev/null
check "... stops with status 0" wait_for 10 grep -q "exit proc=parent status=0" "$T_TMP/r.log"
wait_for 5 bash -c "! kill -0 $rpid 2>/dev/null"

# the unit's allowed system calls: @groups expanded by systemd-analyze itself
systemd-analyze syscall-filter --no-pager >"$T_TMP/groups.txt" 2>/dev/null
sed -n 's/^SystemCallFilter=//p' "$unit" >"$T_TMP/filter.txt"
outside=$(python3 - "$T_TMP/groups.txt" "$T_TMP/filter.txt" "$T_TMP/strace.out" <<'PY'
import re, sys
groups, cur = {}, None
for line in open(sys.argv[1]):
    s = line.strip()
    if line.startswith("@"):
        cur = groups.setdefault(s, [])
    elif cur is not None and s and not s.startswith("#"):
        cur.append(s)
def expand(names):
    out = set()
    for n in names:
        out |= expand(groups.get(n, [])) if n.startswith("@") else {n}
    return out
allowed = expand(["@default"])
for line in open(sys.argv[2]):
    deny = line.startswith("~")
    names = expand(line.lstrip("~").split())
    allowed = allowed - names if deny else allowed | names
used, first, started = set(), None, False
for line in open(sys.argv[3]):
    pid, _, rest = line.partition(" ")
    first = first or pid
    if pid == first and not started:  # setpriv, until it execs rampart
        started = rest.startswith('execve("') and "/sbin/rampart" in rest.split(",")[0]
        if not started:
            continue
    m = re.match(r"\s*(?:<\.\.\. )?([a-z_0-9]+)[( ]", rest)
    if m and not rest.lstrip().startswith(("+++", "---")):
        used.add(m.group(1))
print(" ".join(sorted(used - allowed)) or "-")
PY
)
check_eq "every system call the daemon made is in the unit's SystemCallFilter" "-" "$outside"
families=$(grep -oE ' socket\(AF_[A-Z0-9]+' "$T_TMP/strace.out" | sed 's/.*(//' | sort -u | tr '\n' ' ')
allowed_families=" $(sed -n 's/^RestrictAddressFamilies=//p' "$unit") "
extra=""
for f in $families; do [[ $allowed_families == *" $f "* ]] || extra+="$f "; done
check_eq "every socket family it opened ($families) is in RestrictAddressFamilies" "" "$extra"
# writes: open with O_WRONLY/O_RDWR/O_CREAT, unlink, rename, mkdir
writes=$(grep -E 'open(at)?\(.*O_(WRONLY|RDWR|CREAT).*\) = [0-9]|(unlink|rename|mkdir)(at)?\(.*\) = 0' \
  "$T_TMP/strace.out" | grep -oE '"[^"]*"' | tr -d '"' | sort -u)
stray=$(echo "$writes" | grep -v -e "^$T_TMP/run/" -e "^$T_TMP/log/" -e '^$' | tr '\n' ' ')
check_eq "it wrote only its PID file and access log (RuntimeDirectory, LogsDirectory)" "" "$stray"

# ---- uninstall ------------------------------------------------------------------
make -s -C "$RAMPART_ROOT" BUILD="$RAMPART_BUILD" DESTDIR="$ROOT_DIR" uninstall >/dev/null 2>&1
left=$(cd "$ROOT_DIR" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' ')
check_eq "make uninstall leaves only /etc/rampart" "etc/rampart/gateway.policy etc/rampart/rampart.ini " "$left"
t_done
