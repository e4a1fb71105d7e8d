#!/usr/bin/env bash
# Bad ACME servers (tests/integration/acme_hostile_server.py): the ACME
# process orders one certificate after the other, and each order's
# directory request meets one bad answer: an 8 MB body, a redirect, JSON
# cut short, required fields missing, a URL off the server's origin, an
# endless chunked body, a server that trickles a byte every 2 s. Each must
# end in a logged failure with its reason, counted in
# rampart_acme_failures_total, its retry scheduled (backoff saved), and
# never a crash: the same ACME process runs at the end, and HTTPS serves.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
require_root
id -u rampart-acme >/dev/null 2>&1 || { note "no rampart-acme user (scripts/deps.sh): skipped"; exit 0; }

ns=$(netns_add acmebad) || { not_ok "namespace"; exit 1; }
ip -n "$ns" addr add 198.18.0.1/24 dev lo && ip -n "$ns" addr add 198.18.0.2/24 dev lo || { not_ok "addresses"; exit 1; }
chmod 0711 "$T_TMP"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T_TMP/ca.key" -out "$T_TMP/ca.pem" \
  -days 2 -subj /CN=hostile-ca >/dev/null 2>&1 &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T_TMP/srv.key" -out "$T_TMP/srv.csr" \
    -subj /CN=hostile >/dev/null 2>&1 &&
  openssl x509 -req -in "$T_TMP/srv.csr" -CA "$T_TMP/ca.pem" -CAkey "$T_TMP/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=IP:198.18.0.2\n') -out "$T_TMP/srv.pem" >/dev/null 2>&1 ||
  { not_ok "server certificate"; exit 1; }
spawn "$ns" "$T_TMP/server.log" python3 "$(dirname "$0")/acme_hostile_server.py" 198.18.0.2 14000 \
  "$T_TMP/srv.pem" "$T_TMP/srv.key" >/dev/null
wait_port "$ns" 198.18.0.2 14000 || { not_ok "hostile server starts" "$(tail -n 3 "$T_TMP/server.log")"; exit 1; }
spawn "$ns" "$T_TMP/backend.log" python3 -m http.server 18081 --bind 127.0.0.1 --directory "$T_TMP" >/dev/null

names="huge.test redirect.test wrongjson.test missing.test origin.test chunked.test slow.test"
certs=""
for n in $names; do certs="${certs}certificate = $n $T_TMP/$n.crt $T_TMP/$n.key\\
"; done
proc_config "$T_TMP/r.ini"
sed -i -e 's/^listen_https = .*/listen_https = 198.18.0.1:443/' -e 's/^listen_http = .*/listen_http = 198.18.0.1:80/' \
  -e "s|^certificate = .*|${certs}acme = yes\\
acme_directory = https://198.18.0.2:14000/dir\\
acme_ca_file = $T_TMP/ca.pem\\
acme_state_dir = $T_TMP/state|" -e '/^\[backend web-02\]/,/^port/d' \
  -e 's/^\[admin\]/[admin]\nlisten = 127.0.0.1:19100/' -e 's/^enabled = no/enabled = yes/' "$T_TMP/r.ini"
log=$T_TMP/rampart.log
spawn "$ns" "$log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
wait_port "$ns" 198.18.0.1 443 || { not_ok "rampart starts" "$(tail -n 5 "$log")"; exit 1; }
acme=$(proc_exec_child "$pid" --acme 50)
check "the ACME process runs" test -n "$acme"

expect_failure() { # NAME REASON
  if wait_for 60 grep -q "acme_order_failed.* name=$1 reason=$2" "$log"; then ok "$1: failed with reason $2"; else
    not_ok "$1: failed with reason $2" "$(grep "name=$1" "$log" | tail -n 2 | tr '\n' ' ')"
  fi
}
expect_failure huge.test too_big
expect_failure redirect.test redirect
expect_failure wrongjson.test protocol
expect_failure missing.test protocol
expect_failure origin.test protocol
expect_failure chunked.test too_big
expect_failure slow.test timeout
check_eq "the same ACME process runs after every bad answer (no crash)" "$acme" "$(proc_exec_child "$pid" --acme 1)"
check "HTTPS still serves (the placeholders)" ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/198.18.0.1/443"
metrics() { ip netns exec "$ns" curl -s -m 5 http://127.0.0.1:19100/metrics; }
wait_for 10 bash -c "ip netns exec $ns curl -s -m 5 http://127.0.0.1:19100/metrics | grep -q 'rampart_acme_failures_total{name=\"slow.test\",reason=\"timeout\"} 1'"
m=$(metrics)
for pair in huge.test:too_big redirect.test:redirect wrongjson.test:protocol slow.test:timeout; do
  n=${pair%%:*} r=${pair#*:}
  check_eq "counted: rampart_acme_failures_total{name=\"$n\",reason=\"$r\"}" "1" \
    "$(echo "$m" | sed -n "s/^rampart_acme_failures_total{name=\"$n\",reason=\"$r\"} //p")"
done
next=$(echo "$m" | sed -n 's/^rampart_acme_next_order_timestamp_seconds{name="huge.test"} //p')
if [ -n "$next" ] && [ "$next" -gt "$(date +%s)" ]; then ok "a retry is scheduled ($((next - $(date +%s))) s from now)"; else
  not_ok "a retry is scheduled" "next order at '$next'"; fi
check_eq "the backoff is kept in the state directory" "1" "$(cut -d' ' -f1 "$T_TMP/state/redirect.test.sched" 2>/dev/null)"
# an ACME process that dies is started again (PARENT_ACME_RESPAWN_MS), and
# the new one keeps the backoff it finds in the state directory
kill -KILL "$acme"
if wait_for 10 grep -q "acme_exited.* how=\"killed by signal 9" "$log"; then ok "the parent saw the ACME process die"; else
  not_ok "the parent saw the ACME process die" "$(grep acme_ "$log" | tail -n 2 | tr '\n' ' ')"; fi
acme2=$(proc_exec_child "$pid" --acme 100)
if [ -n "$acme2" ] && [ "$acme2" != "$acme" ]; then ok "a new ACME process runs ($acme2)"; else not_ok "a new ACME process runs" "'$acme2'"; fi
check "... and it does not order at once (the saved backoff)" bash -c "sleep 2; [ \$(grep -c 'acme_order_started.* name=redirect.test' '$log') -eq 1 ]"
stop_pid "$pid"
t_done
