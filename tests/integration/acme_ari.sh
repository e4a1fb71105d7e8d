#!/usr/bin/env bash
# ACME Renewal Information (RFC 9773) against Debian 13's pebble (2.6,
# scripts/deps.sh puts it in .deps/pebble): after www.acme.test is issued,
# the ACME process asks the directory's renewalInfo for it, and the next
# order (rampart_acme_next_order_timestamp_seconds) falls inside the
# window pebble suggests (asked here too, independently, with curl and the
# certificate ID computed by openssl), not at two thirds of the lifetime.
# After a restart the window is asked again from the saved certificate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$(dirname "$0")/lib_acme.sh"
require_root
PEBBLE_ARI=$RAMPART_ROOT/.deps/pebble/bin/pebble
[ -x "$PEBBLE_ARI" ] && command -v pebble-challtestsrv >/dev/null || { note "no ARI pebble (scripts/deps.sh): skipped"; exit 0; }
id -u rampart-acme >/dev/null 2>&1 || { note "no rampart-acme user: skipped"; exit 0; }

ns=$(acme_net ari) || { not_ok "namespace"; exit 1; }
acme_pebble "$ns" "$PEBBLE_ARI" || { not_ok "pebble 2.6 starts" "$(tail -n 3 "$T_TMP/pebble.log" 2>&1)"; exit 1; }
dir_json=$(ip netns exec "$ns" curl -s --cacert "$T_TMP/srvca.pem" https://198.18.0.2:14000/dir)
ari_url=$(echo "$dir_json" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("renewalInfo",""))')
check "pebble 2.6's directory has renewalInfo" test -n "$ari_url"
spawn "$ns" "$T_TMP/backend.log" python3 -m http.server 18081 --bind 127.0.0.1 --directory "$T_TMP" >/dev/null
acme_config "$T_TMP/r.ini" www.acme.test
log=$T_TMP/rampart.log
spawn "$ns" "$log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
wait_port "$ns" 198.18.0.1 443 || { not_ok "rampart starts" "$(tail -n 5 "$log")"; exit 1; }
if wait_for 90 grep -q "acme_certificate_installed.* name=www.acme.test" "$log"; then ok "issued by pebble 2.6"; else
  not_ok "issued by pebble 2.6" "$(grep -E 'acme_' "$log" | tail -n 3 | tr '\n' ' ')"; fi
check "the served certificate verifies against pebble's root" wait_for 30 acme_served_verifies "$ns" www.acme.test
if wait_for 30 grep -q "acme_renewal_window.* name=www.acme.test" "$log"; then ok "renewalInfo asked for the new certificate"; else
  not_ok "renewalInfo asked for the new certificate" "$(grep -E 'renewal|acme_' "$log" | tail -n 3 | tr '\n' ' ')"; fi

# the window, independently: certID = base64url(AKI) "." base64url(serial)
b64url() { xxd -r -p | base64 -w0 | tr '+/' '-_' | tr -d '='; }
crt=$T_TMP/state/www.acme.test.crt
aki=$(openssl x509 -in "$crt" -noout -ext authorityKeyIdentifier 2>/dev/null | sed -n 's/^ *\(keyid:\)\?\([0-9A-Fa-f:]\{20,\}\).*/\2/p' | tr -d ':\n')
serial=$(openssl x509 -in "$crt" -noout -serial | cut -d= -f2)
[ $((${#serial} % 2)) -eq 1 ] && serial=0$serial
case $serial in [89A-Fa-f]*) serial=00$serial ;; esac # DER INTEGER: a leading zero keeps it positive
id="$(echo "$aki" | b64url).$(echo "$serial" | b64url)"
window=$(ip netns exec "$ns" curl -s --cacert "$T_TMP/srvca.pem" "${ari_url%/}/$id")
start=$(echo "$window" | python3 -c 'import json,sys,datetime; w=json.load(sys.stdin)["suggestedWindow"]; print(int(datetime.datetime.fromisoformat(w["start"].replace("Z","+00:00")).timestamp()))' 2>/dev/null)
end=$(echo "$window" | python3 -c 'import json,sys,datetime; w=json.load(sys.stdin)["suggestedWindow"]; print(int(datetime.datetime.fromisoformat(w["end"].replace("Z","+00:00")).timestamp()))' 2>/dev/null)
next=$(acme_metrics "$ns" | sed -n 's/^rampart_acme_next_order_timestamp_seconds{name="www.acme.test"} //p')
note "window $start..$end, next order $next"
if [ -n "$start" ] && [ -n "$next" ] && [ "$next" -ge "$start" ] && [ "$next" -le "$end" ]; then
  ok "the next order is inside pebble's suggested window"
else
  not_ok "the next order is inside pebble's suggested window" "window '$start'..'$end', next '$next', id $id"
fi
nb=$(date -d "$(openssl x509 -in "$crt" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$crt" -noout -enddate | cut -d= -f2)" +%s)
note "two thirds of the lifetime would be $((nb + (na - nb) / 3 * 2))"

stop_pid "$pid"
log2=$T_TMP/rampart2.log
spawn "$ns" "$log2" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
check "after a restart renewalInfo is asked from the saved certificate" \
  wait_for 30 grep -q "acme_renewal_window.* name=www.acme.test" "$log2"
check "... and nothing is ordered" bash -c "! grep -q 'acme_order_started' '$log2'"
stop_pid "$pid"
t_done
