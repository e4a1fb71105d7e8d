#!/usr/bin/env bash
# TLS-ALPN-01 (RFC 8737) against pebble: acme_challenges = tls-alpn-01, so
# pebble validates by a TLS handshake to Rampart's HTTPS listener with ALPN
# "acme-tls/1"; the relay answers it with the challenge certificate it
# made (acmeIdentifier = SHA-256 of the key authorization) and closes.
# Then the issued certificate is served and verifies against pebble's
# root; a client asking acme-tls/1 for a name without a challenge gets no
# handshake; ordinary clients are unaffected throughout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$(dirname "$0")/lib_acme.sh"
require_root
command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null || { note "no pebble: skipped"; exit 0; }
id -u rampart-acme >/dev/null 2>&1 || { note "no rampart-acme user: skipped"; exit 0; }

ns=$(acme_net alpn) || { not_ok "namespace"; exit 1; }
acme_pebble "$ns" pebble || { not_ok "pebble starts" "$(tail -n 3 "$T_TMP/pebble.log" 2>&1)"; exit 1; }
spawn "$ns" "$T_TMP/backend.log" python3 -m http.server 18081 --bind 127.0.0.1 --directory "$T_TMP" >/dev/null
acme_config "$T_TMP/r.ini" alpn.acme.test
sed -i 's/^acme = yes/acme = yes\nacme_challenges = tls-alpn-01/' "$T_TMP/r.ini"
check "rampart -t accepts acme_challenges = tls-alpn-01" "$RAMPART_BUILD/rampart" -t -c "$T_TMP/r.ini"
log=$T_TMP/rampart.log
spawn "$ns" "$log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
wait_port "$ns" 198.18.0.1 443 || { not_ok "rampart starts" "$(tail -n 5 "$log")"; exit 1; }
if wait_for 90 grep -q "acme_certificate_installed.* name=alpn.acme.test" "$log"; then ok "ordered with tls-alpn-01 and installed"; else
  not_ok "ordered with tls-alpn-01 and installed" "$(grep -E 'acme_|tls_handshake' "$log" | tail -n 4 | tr '\n' ' ')"; fi
note "orders failed before: $(grep -c acme_order_failed "$log") $(grep acme_order_failed "$log" | head -n 1 | sed 's/.*reason=//')"
check "the challenge was published as tls-alpn-01" grep -q "acme_challenge_published.* type=tls-alpn-01" "$log"
check "pebble's acme-tls/1 handshake was answered by the relay" grep -q "acme_tls_alpn_answered.* sni=alpn.acme.test" "$log"
check "the served certificate chains to pebble's root (s_client -verify_return_error)" \
  wait_for 30 acme_served_verifies "$ns" alpn.acme.test
# (the counter is the relay's: the reload that installed the certificate
# started a new relay, which has answered none yet)
check "rampart_acme_challenge_answers_total{type=\"tls-alpn-01\"} is exported" \
  bash -c "ip netns exec $ns curl -s -m 5 http://127.0.0.1:19100/metrics | grep -q '^rampart_acme_challenge_answers_total{type=\"tls-alpn-01\"} '"
out=$(ip netns exec "$ns" openssl s_client -connect 198.18.0.1:443 -servername other.acme.test -alpn acme-tls/1 \
  </dev/null 2>&1)
if echo "$out" | grep -q "ALPN protocol: acme-tls/1"; then not_ok "acme-tls/1 without a challenge is refused" "negotiated"; else
  ok "acme-tls/1 without a challenge is refused"; fi
check "an ordinary client still gets http/1.1" bash -c "ip netns exec $ns openssl s_client -connect 198.18.0.1:443 \
  -servername alpn.acme.test -alpn http/1.1 </dev/null 2>&1 | grep -q 'ALPN protocol: http/1.1'"
stop_pid "$pid"
t_done
