#!/usr/bin/env bash
# The proxy end to end with two real nginx backends: round robin, redirect
# + ACME passthrough, HSTS, header rewriting, hop-by-hop stripping, HEAD,
# pipelining, 10 MiB bodies both ways in both framings, Expect, WebSocket,
# every rejection with its status, header timeout, response timeout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$(dirname "$0")/lib_proxy.sh"
require_root

px_setup "[limits]
header_timeout = 2s
response_timeout = 2s
body_timeout = 2s
connect_timeout = 500ms
max_body_size = 20m"
B=https://www.foobar.com:18443

# ---- routing ------------------------------------------------------------------
seq_who=$(px_curl "$B/who" "$B/who" "$B/who" "$B/who" "$B/who" "$B/who" | tr '\n' ' ')
check_eq "round robin alternates over one keep-alive connection" \
  "web-01 web-02 web-01 web-02 web-01 web-02 " "$seq_who"
check_eq "HTTP listener: 301 to https:// + host + path" \
  "301 https://www.foobar.com/a/b?c=d" \
  "$(px_curl -o /dev/null -w '%{http_code} %{redirect_url}' 'http://www.foobar.com:18080/a/b?c=d')"
check_eq "HTTP listener: POST gets 308 (method kept)" "308" \
  "$(px_curl -o /dev/null -w '%{http_code}' -d x 'http://www.foobar.com:18080/form')"
check_eq "HTTP listener: ACME challenge forwarded to the backends" "acme-token-ok" \
  "$(px_curl http://www.foobar.com:18080/.well-known/acme-challenge/tok123)"

# ---- headers ------------------------------------------------------------------
hsts=$(px_curl -D - -o /dev/null "$B/page.html" | grep -ci '^strict-transport-security: max-age=31536000')
check_eq "HSTS on HTTPS responses" 1 "$hsts"
sts=$(px_curl -D - -o /dev/null "$B/sts" | grep -i '^strict-transport-security' | tr -d '\r')
check_eq "a backend's own HSTS is replaced, not doubled" "Strict-Transport-Security: max-age=31536000" "$sts"
check_eq "no HSTS on the plain listener" 0 \
  "$(px_curl -D - -o /dev/null http://www.foobar.com:18080/x | grep -ci strict-transport)"
hdr=$(px_curl -H 'X-Forwarded-For: 10.0.0.1' -H 'Forwarded: for=10.0.0.1' "$B/hdr")
case "$hdr" in
  *"xff=10.0.0.1, 127.0.0.1|proto=https|fwd=for=10.0.0.1, for=127.0.0.1;proto=https;host=\"www.foobar.com:18443\"|rid="[0-9a-f]*) ok "X-Forwarded-For appended, X-Forwarded-Proto, Forwarded, X-Request-Id added" ;;
  *) not_ok "X-Forwarded-For appended, X-Forwarded-Proto, Forwarded, X-Request-Id added" "$hdr" ;;
esac
rid=$(px_curl "$B/hdr" | sed 's/.*rid=\([^|]*\)|.*/\1/')
check_eq "generated X-Request-Id: 32 hex digits" 32 "$(printf %s "$rid" | grep -cE '^[0-9a-f]{32}$' | sed 's/1/32/')"
check_eq "a client's X-Request-Id is kept" "rid=abc-123" \
  "$(px_curl -H 'X-Request-Id: abc-123' "$B/hdr" | grep -o 'rid=[^|]*')"
hop=$(px_curl -H 'Connection: keep-alive, X-Secret' -H 'X-Secret: 1' -H 'Keep-Alive: 300' \
  -H 'TE: trailers' -H 'Proxy-Authorization: Basic eDp5' -H 'Upgrade: h2c' "$B/hdr")
case "$hop" in
  *"conn=|secret=|ka=|te=|up=|pa=|"*) ok "hop-by-hop headers and Connection-named headers stripped, h2c never passed" ;;
  *) not_ok "hop-by-hop headers and Connection-named headers stripped, h2c never passed" "$hop" ;;
esac

# ---- framing ------------------------------------------------------------------
check_eq "HEAD twice on one connection (no body read as the next response)" "200 200 " \
  "$(px_curl -I -o /dev/null -o /dev/null -w '%{http_code} ' "$B/page.html" "$B/page.html")"
pipe=$(printf 'GET /who HTTP/1.1\r\nHost: a\r\n\r\nGET /hdr HTTP/1.1\r\nHost: b\r\n\r\nGET /page.html HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n' |
  ip netns exec "$PX_NS" timeout 10 openssl s_client -quiet -connect 127.0.0.1:18443 2>/dev/null |
  grep -aoE '^(web-0[12]|xff=|ppppp)' | tr '\n' ' ')
case "$pipe" in
  "web-0"?" xff= ppppp ") ok "pipelined requests answered in order" ;;
  *) not_ok "pipelined requests answered in order" "$pipe" ;;
esac
want=$(sha256sum <"$T_TMP/www/big.bin" | cut -d' ' -f1)
check_eq "10 MiB download, Content-Length, byte-identical" "$want" "$(px_curl "$B/big.bin" | sha256sum | cut -d' ' -f1)"
chunk_want=$(python3 -c 'import hashlib,sys; b=bytes(range(256))*256; h=hashlib.sha256(); [h.update(b) for _ in range(160)]; print(h.hexdigest())')
got=$(px_curl -D "$T_TMP/ch.h" "$B/py/chunked/10485760" | sha256sum | cut -d' ' -f1)
check_eq "10 MiB download, chunked, byte-identical" "$chunk_want" "$got"
check_eq "chunked download stays chunked to the client" 1 "$(grep -ci '^transfer-encoding: chunked' "$T_TMP/ch.h")"
check_eq "10 MiB upload, Content-Length (with Expect: 100-continue), byte-identical" "$want" \
  "$(px_curl -H 'Expect: 100-continue' --data-binary @"$T_TMP/www/big.bin" "$B/py/sha")"
check_eq "10 MiB upload, chunked, byte-identical" "$want" \
  "$(px_curl -H 'Transfer-Encoding: chunked' --data-binary @"$T_TMP/www/big.bin" "$B/py/sha")"

ws=$(px_raw 18443 --tls --read head --print status-line \
  --send 'GET /py/ws HTTP/1.1\r\nHost: www.foobar.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' \
  --websocket hello --websocket "$(head -c 300 /dev/zero | tr '\0' x)" | {
  read -r status; read -r first; read -r second; echo "$status $first ${#second}"; })
check_eq "WebSocket upgrade becomes a tunnel (echo through it)" "HTTP/1.1 101 Switching Protocols hello 300" "$ws"

# ---- rejections ---------------------------------------------------------------
# All cases go over TLS through one python process (its start-up is the
# slow part on a busy machine): rej NAME STATUS RAW queues a case,
# rej_run sends them and checks each status.
REJ_N=0
rej() {
  printf "$3" >"$T_TMP/rej.$REJ_N"
  printf '%s\n' "$2" >"$T_TMP/rej.$REJ_N.want"
  printf '%s\n' "$1" >"$T_TMP/rej.$REJ_N.name"
  REJ_N=$((REJ_N + 1))
}
rej_run() {
  local i=0 got files=()
  while [ $i -lt "$REJ_N" ]; do files+=(--send-file "$T_TMP/rej.$i"); i=$((i + 1)); done
  px_raw 18443 --tls --print status "${files[@]}" >"$T_TMP/rej.out"
  i=0
  while [ $i -lt "$REJ_N" ]; do
    got=$(sed -n "$((i + 1))p" "$T_TMP/rej.out")
    check_eq "rejects $(cat "$T_TMP/rej.$i.name") with $(cat "$T_TMP/rej.$i.want")" "$(cat "$T_TMP/rej.$i.want")" "$got"
    i=$((i + 1))
  done
}
rej "Content-Length + Transfer-Encoding" 400 'POST /who HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
rej "differing duplicate Content-Length" 400 'POST /who HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'
rej "Transfer-Encoding not ending in chunked" 400 'POST /who HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'
rej "a bad chunk size" 400 'POST /py/sha HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'
rej "obs-fold" 400 'GET /who HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n'
rej "bare LF" 400 'GET /who HTTP/1.1\nHost: a\n\n'
rej "bare CR" 400 'GET /who HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n'
rej "NUL in a header" 400 'GET /who HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n'
rej "a control byte in a header" 400 'GET /who HTTP/1.1\r\nHost: a\r\nX-A: b\001c\r\n\r\n'
rej "absolute-form" 400 'GET http://www.foobar.com/who HTTP/1.1\r\nHost: www.foobar.com\r\n\r\n'
rej "an invalid Host" 400 'GET /who HTTP/1.1\r\nHost: a b\r\n\r\n'
rej "two Host headers" 400 'GET /who HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
rej "HTTP/1.1 without Host" 400 'GET /who HTTP/1.1\r\n\r\n'
rej "HTTP/1.0 without Host (not allowed by default)" 400 'GET /who HTTP/1.0\r\n\r\n'
rej "a URI over max_uri_length" 414 "GET /$(head -c 9000 /dev/zero | tr '\0' a) HTTP/1.1\r\nHost: a\r\n\r\n"
rej "a head over max_header_size" 431 "GET /who HTTP/1.1\r\nHost: a\r\nX-Big: $(head -c 17000 /dev/zero | tr '\0' a)\r\n\r\n"
rej "more than max_headers headers" 431 "GET /who HTTP/1.1\r\nHost: a\r\n$(for i in $(seq 101); do printf 'X-%s: 1\\r\\n' $i; done)\r\n"
rej "a body over max_body_size" 413 'POST /py/sha HTTP/1.1\r\nHost: a\r\nContent-Length: 30000000\r\n\r\n'
rej "CONNECT" 405 'CONNECT www.foobar.com:443 HTTP/1.1\r\nHost: www.foobar.com:443\r\n\r\n'
rej "an HTTP/2 preface" 400 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
rej_run

# ---- timeouts -----------------------------------------------------------------
# the slow client's head never ends; the 408 must come before raw_request
# gives up on it (8 s, while header_timeout is 2 s)
slow=$(px_raw 18443 --tls --read-timeout 8 --print status-line --send 'GET /who HTTP/1.1\r\nHost: a\r\n' \
  --meanwhile "curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:18443/who" | paste -sd' ')
check_eq "slow client cut at header_timeout with 408 while others are served" "200 HTTP/1.1 408 Request Timeout" "$slow"
check_eq "backend response timeout: 504" 504 "$(px_curl -o /dev/null -w '%{http_code}' "$B/py/slow")"
check_eq "a client that stops sending its body: 408" 408 \
  "$(px_raw 18443 --tls --print status --send 'POST /py/sha HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789')"
req10='GET /who HTTP/1.0\r\nHost: www.foobar.com\r\nConnection: keep-alive\r\n\r\n'
ka10=$(px_raw 18443 --tls --one-connection --read http --print header:connection \
  --send "$req10" --send "$req10" | paste -sd' ')
check_eq "HTTP/1.0 keep-alive client: two requests on one connection" "keep-alive keep-alive" "$ka10"

# ---- connect timeout ----
# A backend that swallows SYNs: the connect times out and the request is
# retried on the other backend; nobody sees an error.
ip netns exec "$PX_NS" nft -f - <<'NFT'
table inet pxdrop {
  chain out { type filter hook output priority 0; tcp dport 18082 tcp flags syn drop; }
}
NFT
codes=$(for i in 1 2 3 4; do px_curl -o /dev/null -w '%{http_code} ' https://www.foobar.com:18443/who; done)
check_eq "connect timeout on web-02: retried on web-01, no error" "200 200 200 200 " "$codes"

# ---- no backend ---------------------------------------------------------------
stop_pid "${PX_NGINX[web-01]}" KILL
stop_pid "${PX_NGINX[web-02]}" KILL
codes=$(for i in 1 2 3 4 5; do px_curl -o /dev/null -w '%{http_code} ' "$B/who"; done)
case "$codes" in
  *503*) ok "no backend up: 503" ;;
  *) not_ok "no backend up: 503" "$codes" ;;
esac
check_eq "503 carries Retry-After" 1 "$(px_curl -D - -o /dev/null "$B/who" | grep -ci '^retry-after:')"
check_eq "access log: one line per request with status, backend, TLS version" 1 \
  "$(grep -c '"GET /hdr" 200 [0-9]* [0-9.]*ms backend=web-0[12] tls=TLSv1.[23] cipher=TLS' "$T_TMP/rampart.log" | sed 's/^[1-9][0-9]*$/1/')"
px_done
