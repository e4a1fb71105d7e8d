#!/usr/bin/env bash
# The foobar.com lab with LAB_CA=acme (lab/acme.sh): pebble in its own lab
# namespace as the lab's CA, the gateways ordering www.foobar.com with
# acme = yes, pebble validating through the VIPs. Checked: the lab comes up;
# both VIPs serve a chain that verifies against pebble's root (openssl
# s_client -verify_return_error), signed by pebble, not the lab CA, and a
# request through each VIP verifies with curl. The pair (issue 16):
#  (a) only the VRRP master of vip-a (gw-1) ordered; gw-2 took the
#      certificate over the peer channel: both serve the same one;
#  (b) a new name whose validations pebble makes through VIP-B (gw-2, the
#      follower) is issued to gw-1: gw-2's relay answered gw-1's token;
#  (c) a third name, with gw-1's ACME process frozen (SIGSTOP) once its
#      order was shared and gw-1 then killed: gw-2 becomes master, takes
#      the SAME order over (its URL in both logs), makes no order of its
#      own, and serves the certificate; gw-1 started again takes it from
#      gw-2 and both serve the same one;
# `down` leaves no namespace and no process of the lab.
. "$(dirname "$0")/lib.sh"
require_root
command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null || { note "no pebble: skipped"; exit 0; }
id -u rampart-acme >/dev/null 2>&1 || { note "no rampart-acme user (scripts/deps.sh): skipped"; exit 0; }

export LAB_PREFIX="$T_TAG-" LAB_RUN="$T_TMP/run" RAMPART_BUILD
# the lab's services and the ACME process (rampart-acme) walk through the
# run directory to their files: open it for traversal only
chmod 711 "$T_TMP"
LAB_SH=$RAMPART_ROOT/lab/lab.sh
trap '"$LAB_SH" down >/dev/null 2>&1; t_cleanup' EXIT
. "$RAMPART_ROOT/lab/tour.sh"

LAB_CA=acme "$LAB_SH" up >"$T_TMP/up.log" 2>&1
up_rc=$?
sed 's/^/# /' "$T_TMP/up.log"
if [ $up_rc -ne 0 ]; then
  not_ok "the lab comes up with LAB_CA=acme" "see the lines above"
  for f in "$LAB_RUN"/logs/gw-*.log "$LAB_RUN"/logs/pebble.log; do [ -f "$f" ] && tail -n 5 "$f" | sed "s|^|# $(basename "$f"): |"; done
  exit 1
fi
ok "the lab comes up with LAB_CA=acme"
check_eq "lab.sh ca says acme" acme "$("$LAB_SH" ca)"
. "$RAMPART_ROOT/lab/tour.sh" # again, now that up recorded the CA
check_eq "the tour trusts pebble's root" "$LAB_RUN/acme/root.pem" "$CA"
check "pebble runs in its own namespace, by its PID file" kill -0 "$(cat "$LAB_RUN/pids/pebble.pid")"

step_ca_in_use >"$T_TMP/step.out" 2>&1
rc=$?
sed 's/^/# /' "$T_TMP/step.out"
if [ $rc -eq 0 ]; then ok "both VIPs serve a chain that verifies against pebble's root (s_client -verify_return_error)"; else
  not_ok "both VIPs serve a chain that verifies against pebble's root"; fi
for v in $VIPS; do
  issuer=$(client openssl s_client -connect "$v:443" -servername www.foobar.com </dev/null 2>/dev/null |
    openssl x509 -noout -issuer 2>/dev/null)
  case $issuer in *"Pebble Intermediate"*) ok "$v: the leaf is pebble's ($issuer)" ;; *) not_ok "$v: the leaf is pebble's" "$issuer" ;; esac
  server=$(https_get "$v")
  case $server in web-0[12]) ok "$v: curl --cacert pebble's root gets the site (from $server)" ;; *) not_ok "$v: curl --cacert pebble's root gets the site" "'$server'" ;; esac
  check "$v: the lab CA does not verify it" bash -c "! ip netns exec ${P}client curl -s -o /dev/null --max-time 3 \
    --cacert '$LAB_RUN/pki/ca.crt' --resolve www.foobar.com:443:$v $URL"
done
for h in gw-1 gw-2; do
  check "$h: its ACME state directory is 0700" bash -c "[ \"\$(stat -c %a '$LAB_RUN/$h/acme')\" = 700 ]"
done

. "$(dirname "$0")/lib_lab_acme_pair.sh"

pids=$(cat "$LAB_RUN"/pids/*.pid)
"$LAB_SH" down >"$T_TMP/down.log" 2>&1
check_eq "down: no namespace of the lab left" "" "$(ip netns list | awk '{print $1}' | grep "^$LAB_PREFIX")"
left=""
for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
check_eq "down: no process of the lab left (pebble, its DNS, the gateways...)" "" "${left# }"
t_done
