#!/usr/bin/env bash
# The key holder (issue 11): the private keys live in a third process, the
# parent's child, and the relay signs every handshake through it.
#   - handshakes: TLS 1.3 and 1.2, ECDSA and RSA (PSS for 1.3, PKCS#1 v1.5
#     for 1.2), by SNI, all signed by the key holder (its counts, the
#     relay's, on /metrics);
#   - memory: the keys' private bytes (EC scalar, RSA d/p/q, PKCS#8 DER,
#     a PEM line) are absent from the relay's memory and the parent's, and
#     the scan finds the scalar in the key holder's (so the scan works);
#   - its sandbox: its own user, no capabilities, no_new_privs, seccomp,
#     not dumpable, and no descriptor but its socketpairs (the control
#     socket and one channel per worker) besides 0-2;
#   - supervision: killed, it is restarted and the same relay signs again;
#     frozen, handshakes fail at the signing deadline (resumptions go on,
#     they sign nothing), the parent kills it after KEYHOLDER_SILENCE_MS and
#     a new one takes over;
#   - reload: a new key holder reads the new key; the old one stops with
#     the old relay; a key that does not match its certificate abandons the
#     reload with nothing changed, and `rampart -t` says so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$(dirname "$0")/lib_proxy.sh"
require_root

PX_NS=$(netns_add keys) || { not_ok "namespace"; exit 1; }
mkdir -p "$T_TMP/www"
echo "page" >"$T_TMP/www/index.html"
proc_cert || { not_ok "certificate"; exit 1; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_TMP/api.key" -out "$T_TMP/api.pem" \
  -days 2 -subj '/CN=*.api.foobar.com' >/dev/null 2>&1 && chmod 600 "$T_TMP/api.key"
px_nginx web-01 18081
px_nginx web-02 18082
proc_config "$T_TMP/r.ini"
sed -i "/^certificate = www.foobar.com/a certificate = *.api.foobar.com $T_TMP/api.pem $T_TMP/api.key" \
  "$T_TMP/r.ini"
sed -i 's/^max_connections_per_ip = 3$/max_connections_per_ip = 50/' "$T_TMP/r.ini"
sed -i 's/^enabled = no$/enabled = yes\nlisten = 127.0.0.1:19101/' "$T_TMP/r.ini"
log=$T_TMP/rampart.log
spawn "$PX_NS" "$log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
pid=$!
for p in 18081 18082 18443 19101; do
  wait_port "$PX_NS" 127.0.0.1 $p || { not_ok "port $p up" "$(tail -n 5 "$log")"; exit 1; }
done
relay=$(proc_relay "$pid")
kh=$(proc_keyholder "$pid")
[ -n "$relay" ] && [ -n "$kh" ] || { not_ok "relay and key holder running" "$(tail -n 5 "$log")"; exit 1; }
wait_for 5 grep -q "relay_ready proc=parent pid=$relay " "$log"

# hs NAME ARGS...: one handshake and request; "VERSION SIGTYPE STATUS"
hs() {
  local name=$1
  shift
  printf 'GET /index.html HTTP/1.1\r\nHost: www.foobar.com\r\nConnection: close\r\n\r\n' |
    ip netns exec "$PX_NS" timeout 10 openssl s_client -connect 127.0.0.1:18443 -servername "$name" -ign_eof "$@" 2>&1 |
    awk '/^New, / {v = $2; sub(",", "", v)} /^Peer signature type:/ {s = $NF} /^HTTP\/1.1 / {c = $2}
         END {printf "%s %s %s", v, s, c}'
}
# sc ARGS...: openssl s_client, one request, whole output.
sc() {
  printf 'GET /index.html HTTP/1.1\r\nHost: www.foobar.com\r\nConnection: close\r\n\r\n' |
    ip netns exec "$PX_NS" timeout 10 openssl s_client -connect 127.0.0.1:18443 -ign_eof "$@" 2>&1
}
metric() {
  ip netns exec "$PX_NS" curl -s -m 3 http://127.0.0.1:19101/metrics | awk -v m="$1" '$1 == m {print $2}'
}

# ---- handshakes through the key holder -------------------------------------------------
check_eq "TLS 1.3, ECDSA certificate: signed by the key holder" "TLSv1.3 ECDSA 200" "$(hs www.foobar.com -tls1_3)"
check_eq "TLS 1.2, ECDSA certificate" "TLSv1.2 ECDSA 200" "$(hs www.foobar.com -tls1_2)"
check_eq "TLS 1.3, RSA certificate by SNI: RSA-PSS" "TLSv1.3 RSA-PSS 200" "$(hs img.api.foobar.com -tls1_3)"
check_eq "TLS 1.2, RSA certificate by SNI: PKCS#1 v1.5" "TLSv1.2 RSA 200" \
  "$(hs img.api.foobar.com -tls1_2 -sigalgs RSA+SHA256)"
sleep 0.3 # the key holder's counts reach /metrics through the parent
check "metrics: the relay's signatures answered (rampart_keyholder_requests_total ok >= 4)" \
  test "$(metric 'rampart_keyholder_requests_total{result="ok"}')" -ge 4
check "metrics: the key holder counted them (rampart_keyholder_answers_total ok >= 4)" \
  test "$(metric 'rampart_keyholder_answers_total{status="ok"}')" -ge 4
check_eq "metrics: it holds two keys" 2 "$(metric rampart_keyholder_keys)"
check_eq "metrics: nothing refused" 0 "$(metric 'rampart_keyholder_answers_total{status="key"}')"

# ---- its sandbox --------------------------------------------------------------------------
kuid=$(id -u rampart-keys)
check_eq "key holder: runs as rampart-keys in all four uids" "$kuid $kuid $kuid $kuid" \
  "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/"$kh"/status)"
check "key holder: a user of its own, not the relay's" test "$kuid" != "$(proc_status_field "$relay" Uid)"
for f in CapEff CapPrm CapBnd CapInh CapAmb; do
  check_eq "key holder: $f empty" 0000000000000000 "$(proc_status_field "$kh" $f)"
done
check_eq "key holder: no_new_privs" 1 "$(proc_status_field "$kh" NoNewPrivs)"
check_eq "key holder: seccomp filter mode" 2 "$(proc_status_field "$kh" Seccomp)"
# a process that is not dumpable has its /proc files owned by root
check_eq "key holder: not dumpable (its /proc files are root's)" 0 "$(stat -c %u /proc/"$kh"/mem)"
check "key holder: its name and ready line" grep -q "keyholder_ready proc=keyholder keys=2 user=rampart-keys" "$log"
sockets=$(ls -l /proc/"$kh"/fd | awk '/socket:/ {print $NF}' | tr -d 'socket:[]' | sort -u)
n_sockets=$(echo "$sockets" | grep -c .)
check_eq "key holder: 3 sockets (its control socket, a channel per worker)" 3 "$n_sockets"
unix_inodes=$(ip netns exec "$PX_NS" awk 'NR > 1 {print $7}' /proc/net/unix | sort -u)
check_eq "key holder: every socket is a unix socketpair end (none of tcp, udp, netlink, raw)" "" \
  "$(comm -23 <(echo "$sockets") <(echo "$unix_inodes"))"
check_eq "key holder: no other descriptor but 0-2" "0 1 2" \
  "$(ls -l /proc/"$kh"/fd | awk 'NR > 1 && !/socket:/ {print $9}' | sort -n | tr '\n' ' ' | sed 's/ $//')"

# ---- no private key in the relay's memory ------------------------------------------------------
scan() { python3 "$RAMPART_ROOT/tests/integration/memscan.py" "$1" "$T_TMP/key.pem" "$T_TMP/api.key"; }
if sanitized_build; then
  note "sanitizer build: the memory scans are skipped (ASan's shadow memory takes minutes to read); run in the release build"
else
  scan "$relay" >"$T_TMP/scan.relay" 2>&1
  scan "$kh" >"$T_TMP/scan.kh" 2>&1
  scan "$pid" >"$T_TMP/scan.parent" 2>&1
  check "memory scan of the relay ran" grep -q '^scanned [1-9]' "$T_TMP/scan.relay"
  check_eq "relay memory: no private key bytes (EC scalar, RSA d/p/q, PKCS#8 DER, PEM line)" "" \
    "$(grep ' found$' "$T_TMP/scan.relay")"
  check_eq "parent memory: none either" "" "$(grep ' found$' "$T_TMP/scan.parent")"
  check "key holder memory: the EC scalar is there (the scan finds what is present)" \
    grep -q "key.pem ec-scalar found" "$T_TMP/scan.kh"
  check "key holder memory: the RSA primes too" grep -q "api.key rsa-p found" "$T_TMP/scan.kh"
  check "key holder memory: but not the key files' text (wiped after parsing)" \
    bash -c "! grep -q 'pem-line found' '$T_TMP/scan.kh'"
fi

# ---- a key holder that dies is replaced; the relay stays ---------------------------------------
kill -KILL "$kh"
new_kh() { local k; k=$(proc_keyholder "$pid" 1); [ -n "$k" ] && [ "$k" != "$1" ] && grep -q "keyholder_ready proc=parent pid=$k " "$log"; }
check "killed key holder: a new one within 2 s" wait_for 2 new_kh "$kh"
check "killed key holder: its loss logged" grep -q "keyholder_lost proc=parent pid=$kh how=\"killed by signal 9" "$log"
check "the relay took the new channels" wait_for 2 grep -q "keyholder_replaced proc=relay" "$log"
check_eq "the same relay serves" "$relay" "$(proc_relay "$pid" 1)"
check_eq "handshakes resume: TLS 1.3 ECDSA" "TLSv1.3 ECDSA 200" "$(hs www.foobar.com -tls1_3)"
check_eq "handshakes resume: TLS 1.2 RSA" "TLSv1.2 RSA 200" "$(hs img.api.foobar.com -tls1_2 -sigalgs RSA+SHA256)"
kh=$(proc_keyholder "$pid")

# ---- a frozen key holder: the deadline fails the handshake, not the relay ----------------------
sc -tls1_3 -servername www.foobar.com -sess_out "$T_TMP/sess" >/dev/null
kill -STOP "$kh"
start=$SECONDS
out=$(hs www.foobar.com -tls1_3)
check "frozen key holder: the handshake fails, and at once (not the client's 10 s)" \
  test "${out##* }" != 200 -a $((SECONDS - start)) -le 5
check "... counted and logged as reason=keyholder" \
  grep -q 'tls_handshake_failed .*reason=keyholder .*error="the key holder did not sign (timeout)"' "$log"
check_eq "... while resumptions, which sign nothing, go on" "Reused" \
  "$(sc -tls1_3 -servername www.foobar.com -sess_in "$T_TMP/sess" | grep -o '^Reused' | head -n1)"
check "the parent kills the silent key holder" wait_for 3 grep -q "keyholder_unresponsive proc=parent pid=$kh reason=\"no status" "$log"
check "... and a new one takes over" wait_for 3 new_kh "$kh"
check_eq "after the frozen one: handshakes signed again" "TLSv1.3 ECDSA 200" "$(hs www.foobar.com -tls1_3)"
check_eq "the same relay throughout" "$relay" "$(proc_relay "$pid" 1)"
check "metrics: the timeout counted" test "$(metric 'rampart_keyholder_requests_total{result="timeout"}')" -ge 1
kh=$(proc_keyholder "$pid")

# ---- reload: a new key holder with the new key --------------------------------------------------
fp() { sc -tls1_3 -servername www.foobar.com | openssl x509 -noout -fingerprint -sha256 2>/dev/null; }
old_fp=$(fp)
cp "$T_TMP/key.pem" "$T_TMP/key.old" && cp "$T_TMP/cert.pem" "$T_TMP/cert.old"
proc_cert || not_ok "second certificate"
kill -HUP "$pid"
check "reload: done" wait_for 5 grep -q "reload_done" "$log"
new_relay=$(grep -o 'reload_done proc=parent pid=[0-9]*' "$log" | tail -n1 | cut -d= -f3)
check "reload: the old relay drained and exited" wait_for 5 grep -q "relay_exited proc=parent pid=$relay how=\"exited with status 0\"" "$log"
check "reload: the old key holder stopped with it" wait_for 3 grep -q "keyholder_exited proc=parent pid=$kh " "$log"
check "reload: a new key holder signs for the new relay" test -n "$(proc_keyholder "$pid" 1)" -a "$(proc_keyholder "$pid" 1)" != "$kh"
check "reload: the new certificate is served (the new key signs it)" test "$(fp)" != "$old_fp" -a -n "$(fp)"
check_eq "reload: handshakes" "TLSv1.3 ECDSA 200" "$(hs www.foobar.com -tls1_3)"
kh=$(proc_keyholder "$pid")

# ---- a key that is not its certificate's: refused, nothing changes -------------------------------
cp "$T_TMP/key.old" "$T_TMP/key.pem"
kill -HUP "$pid"
check "reload with a mismatched key: abandoned" \
  wait_for 5 grep -q 'reload_failed .*reason=".*key.pem: private key does not match certificate' "$log"
check "... the check was the new key holder's" grep -q "keyholder_failed proc=parent pid=[0-9]* reason=\".*does not match" "$log"
check_eq "... the same relay" "$new_relay" "$(proc_relay "$pid" 1)"
check_eq "... the same key holder" "$kh" "$(proc_keyholder "$pid" 1)"
check_eq "... still serving the last good certificate" "TLSv1.3 ECDSA 200" "$(hs www.foobar.com -tls1_3)"
check "rampart -t names the mismatch" bash -c \
  "'$RAMPART_BUILD/rampart' -t -c '$T_TMP/r.ini' 2>&1 | grep -q 'key.pem: private key does not match certificate'"

kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM: parent exits 0" 0 "$?"
check "SIGTERM: relay and key holder gone" bash -c "! grep -q . /proc/$pid/task/*/children 2>/dev/null"
t_done
