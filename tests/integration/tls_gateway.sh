#!/usr/bin/env bash
# TLS as a client sees it through the real daemon: protocol versions with
# openssl s_client and curl, SNI with two certificates (ECDSA default, RSA
# wildcard), ALPN, ticket resumption for TLS 1.3 (and none for 1.2 by
# default), handshake-failure
# log lines, and a keep-alive connection that idles (tls_conn_idle) and is
# used again. One rampart, two nginx backends, inside a namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$(dirname "$0")/lib_proxy.sh"
require_root

PX_NS=$(netns_add tls) || { not_ok "namespace"; exit 1; }
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
PX_RAMPART=$(spawn "$PX_NS" "$T_TMP/rampart.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini")
for p in 18081 18082 18443; do
  wait_port "$PX_NS" 127.0.0.1 $p || { not_ok "port $p up" "$(tail -n 5 "$T_TMP/rampart.log")"; exit 1; }
done
B=https://www.foobar.com:18443

# sc ARGS...: openssl s_client against rampart, one request, whole output.
sc() {
  printf 'GET /index.html HTTP/1.1\r\nHost: www.foobar.com\r\nConnection: close\r\n\r\n' |
    ip netns exec "$PX_NS" timeout 10 openssl s_client -connect 127.0.0.1:18443 -ign_eof "$@" 2>&1
}

# ---- versions -------------------------------------------------------------------
check_eq "curl TLS 1.3: 200" "200 TLSv1.3" \
  "$(px_curl --tlsv1.3 -o /dev/null -w '%{http_code} ' "$B/index.html"; sc -tls1_3 | sed -n 's/^New, \(TLSv1.3\),.*/\1/p')"
check_eq "curl TLS 1.2: 200, ECDHE-ECDSA with AES-GCM" "200 ECDHE-ECDSA-AES128-GCM-SHA256" \
  "$(px_curl --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code} ' "$B/index.html"; sc -tls1_2 | sed -n 's/^New, TLSv1.2, Cipher is //p')"
for v in tls1 tls1_1; do
  out=$(sc -$v -cipher DEFAULT@SECLEVEL=0)
  case "$out" in
    *"HTTP/1.1 200"*) not_ok "s_client -$v refused" "got a response" ;;
    *) ok "s_client -$v refused" ;;
  esac
done
check_eq "curl refuses to get a page over TLS 1.1" "000" \
  "$(px_curl --tlsv1.1 --tls-max 1.1 --ciphers DEFAULT@SECLEVEL=0 -o /dev/null -w '%{http_code}' "$B/index.html")"
check_eq "each refusal reached rampart and was logged with client and reason" 3 \
  "$(grep -cE 'tls_handshake_failed .*client=127.0.0.1 reason=version' "$T_TMP/rampart.log")"
check_eq "no CBC suite over TLS 1.2" "" \
  "$(sc -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256 | sed -n 's/^New, TLSv1.2, Cipher is //p')"

# ---- SNI, ALPN ----------------------------------------------------------------------
check_eq "SNI www.foobar.com: the ECDSA certificate" "subject=CN = www.foobar.com" \
  "$(sc -tls1_3 -servername www.foobar.com | grep '^subject=')"
check_eq "SNI img.api.foobar.com: the wildcard RSA certificate" "subject=CN = *.api.foobar.com" \
  "$(sc -tls1_3 -servername img.api.foobar.com | grep '^subject=')"
check_eq "SNI img.api.foobar.com over TLS 1.2: ECDHE-RSA" "ECDHE-RSA-AES128-GCM-SHA256" \
  "$(sc -tls1_2 -servername img.api.foobar.com | sed -n 's/^New, TLSv1.2, Cipher is //p')"
check_eq "unknown name: the default certificate" "subject=CN = www.foobar.com" \
  "$(sc -tls1_3 -servername other.example | grep '^subject=')"
# -a: with h2 the server's SETTINGS frame follows the handshake, binary in s_client's output
check_eq "ALPN: h2 first (the server's preference)" "ALPN protocol: h2" \
  "$(sc -tls1_3 -alpn http/1.1,h2 | grep -a '^ALPN protocol')"
check_eq "ALPN: http/1.1 for a client that offers only it" "ALPN protocol: http/1.1" \
  "$(sc -tls1_3 -alpn http/1.1 | grep -a '^ALPN protocol')"
check_eq "curl --http2 over TLS 1.2 and 1.3: h2, 200" "2 200 2 200" \
  "$(px_curl2 --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_version} %{http_code} ' "$B/index.html"
     px_curl2 --tlsv1.3 -o /dev/null -w '%{http_version} %{http_code}' "$B/index.html")"

# ---- resumption ---------------------------------------------------------------------
sc -tls1_3 -sess_out "$T_TMP/sess-tls1_3" >/dev/null
check_eq "session ticket resumes (tls1_3)" "Reused" \
  "$(sc -tls1_3 -sess_in "$T_TMP/sess-tls1_3" | grep -o '^Reused' | head -n1)"
# TLS 1.2 tickets are off by default (tickets_tls12): a 1.2 resumption
# would skip ECDHE. No session file means openssl got nothing to resume.
sc -tls1_2 -sess_out "$T_TMP/sess-tls1_2" >/dev/null
check_eq "no TLS 1.2 resumption by default" "New" \
  "$( ([ -s "$T_TMP/sess-tls1_2" ] && sc -tls1_2 -sess_in "$T_TMP/sess-tls1_2" || echo New) |
    grep -oE '^(Reused|New)' | head -n1)"

# ---- keep-alive through idle ------------------------------------------------------
# Two requests on one connection with a pause: rampart gives the TLS buffers
# back while idle and must decrypt the second request with the right state.
req='GET /index.html HTTP/1.1\r\nHost: www.foobar.com\r\n\r\n'
idle=$(px_raw 18443 --tls --one-connection --read http --pause 0.3 --print status \
  --send "$req" --send "$req" --send "$req" | paste -sd' ')
check_eq "keep-alive connection used again after idling" "200 200 200" "$idle"

# ---- the ClientHello's record layer (issue 10, defect 10) -----------------------------
# RFC 8446 5.1 lets a handshake message span records (OpenSSL-based servers
# take a ClientHello in 1-byte records; mbedTLS alone needs the first
# fragment to hold the 4-byte header); RFC 8446 4.2 forbids an extension
# twice, answered with illegal_parameter (alert 47). tls_hello.py rewrites
# a real ClientHello (Python's ssl over memory BIOs) before it is sent.
hello() {
  ip netns exec "$PX_NS" timeout 30 python3 "$RAMPART_ROOT/tests/integration/tls_hello.py" \
    127.0.0.1 18443 www.foobar.com "$@" 2>&1 | tail -n 1
}
for n in 1 2 3 5; do
  check_eq "ClientHello in $n-byte records: handshake done, request answered" "HTTP/1.1 200 OK" "$(hello split $n)"
done
dup_before=$(grep -c 'tls_handshake_failed .*reason=protocol .*extension .* twice' "$T_TMP/rampart.log")
check_eq "ClientHello with an extension twice: fatal alert illegal_parameter" "alert 2 47" "$(hello dup)"
check_eq "...counted as a protocol failure, the extension named in the log" "$((dup_before + 1))" \
  "$(grep -c 'tls_handshake_failed .*reason=protocol .*extension .* twice' "$T_TMP/rampart.log")"
check_eq "a whole ClientHello still works after both" "HTTP/1.1 200 OK" "$(hello split 16384)"

t_done
