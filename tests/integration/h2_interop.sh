#!/usr/bin/env bash
# HTTP/2 with real clients through the daemon: curl --http2 (headers,
# forwarding, HSTS, request ids, cookies, HEAD, 10 MiB bodies both ways in
# both framings, Expect: 100-continue, 404/503 answers), a WebSocket over
# h2 (extended CONNECT, tests/integration/h2_client.py ws), nghttp (many
# streams on one connection, server push never offered), h2load (the
# load tool: every request 2xx), the access log saying HTTP/2.0, the
# metrics by protocol, a reload's two-step GOAWAY with a stream in flight
# finishing, and the plain listener refusing prior-knowledge h2 and h2c.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$(dirname "$0")/lib_proxy.sh"
require_root
for tool in nghttp h2load; do
  command -v $tool >/dev/null || { not_ok "$tool installed (nghttp2-client)"; t_done; }
done

PX_ADMIN=127.0.0.1:19100 px_setup "[limits]
response_timeout = 5s
max_body_size = 20m"
B=https://www.foobar.com:18443
I=https://127.0.0.1:18443 # nghttp and h2load resolve names themselves: the address (the default certificate)
NG() { ip netns exec "$PX_NS" nghttp -n "$@"; }
metric() { ip netns exec "$PX_NS" curl -s http://127.0.0.1:19100/metrics | awk -v k="$1" '$1 == k {print $2}'; }

# ---- one request at a time: curl ------------------------------------------------------
check_eq "curl --http2: h2, 200, the page" "ok 2 200" \
  "$(px_curl2 -w ' %{http_version} %{http_code}' "$B/index.html" | tr -d '\n')"
hdr=$(px_curl2 -H 'X-Forwarded-For: 10.0.0.1' -H 'X-Request-Id: h2-req-1' "$B/hdr")
case "$hdr" in
  *"xff=10.0.0.1, 127.0.0.1|proto=https|fwd=for=127.0.0.1;proto=https;host=\"www.foobar.com:18443\"|rid=h2-req-1|conn=|"*"host=www.foobar.com:18443|"*)
    ok "forwarding headers as for HTTP/1.1 (X-Forwarded-*, Forwarded, the client's X-Request-Id, Host from :authority)" ;;
  *) not_ok "forwarding headers as for HTTP/1.1" "$hdr" ;;
esac
check_eq "a generated X-Request-Id: 32 hex digits" 1 \
  "$(px_curl2 "$B/hdr" | sed 's/.*rid=\([^|]*\)|.*/\1/' | grep -cE '^[0-9a-f]{32}$')"
check_eq "HSTS on h2 responses, the backend's own replaced" "strict-transport-security: max-age=31536000" \
  "$(px_curl2 -D - -o /dev/null "$B/sts" | grep -i '^strict-transport-security' | tr -d '\r')"
check_eq "no hop-by-hop or connection headers in h2 responses" 0 \
  "$(px_curl2 -D - -o /dev/null "$B/page.html" | grep -ciE '^(connection|keep-alive|transfer-encoding):')"
check_eq "HEAD: headers, no body" "200 0" \
  "$(px_curl2 -I -o /dev/null -w '%{http_code} %{size_download}' "$B/page.html")"
check_eq "404 from the backend passes" "404" "$(px_curl2 -o /dev/null -w '%{http_code}' "$B/nope.html")"

# ---- bodies ---------------------------------------------------------------------------
want=$(sha256sum <"$T_TMP/www/big.bin" | cut -d' ' -f1)
check_eq "10 MiB download, Content-Length" "$want" "$(px_curl2 "$B/big.bin" | sha256sum | cut -d' ' -f1)"
check_eq "10 MiB download, chunked from the backend: DATA frames, no chunk framing" \
  "$(head -c 10485760 < <(python3 -c 'import sys; b=bytes(range(256))*256; [sys.stdout.buffer.write(b) for _ in range(160)]') | sha256sum | cut -d' ' -f1)" \
  "$(px_curl2 "$B/py/chunked/10485760" | sha256sum | cut -d' ' -f1)"
check_eq "10 MiB upload with content-length (and Expect: 100-continue)" "$want" \
  "$(px_curl2 -H 'Expect: 100-continue' --data-binary @"$T_TMP/www/big.bin" "$B/py/sha")"
check_eq "10 MiB upload without a length: chunked to the backend" "$want" \
  "$(ip netns exec "$PX_NS" sh -c "cat '$T_TMP/www/big.bin' | curl -sk --http2 --max-time 20 \
     --resolve www.foobar.com:18443:127.0.0.1 -T - '$B/py/sha'")"
check_eq "cookies joined into one Cookie line for the backend" "ok" \
  "$(px_curl2 -H 'Cookie: a=1' -H 'Cookie: b=2' -o /dev/null -w '%{http_code}' "$B/index.html" | sed 's/200/ok/')"

# ---- WebSockets over HTTP/2 (RFC 8441) -------------------------------------------------------
check_eq "WebSocket over h2: extended CONNECT -> 200, echo through the tunnel, clean end on close" \
  "status=200 echo=hello end=yes" \
  "$(ip netns exec "$PX_NS" /usr/bin/python3 "$RAMPART_ROOT/tests/integration/h2_client.py" 127.0.0.1 18443 ws /py/ws)"

# ---- many streams on one connection ------------------------------------------------------
paths=""
for i in $(seq 40); do paths="$paths $I/page.html?n=$i"; done
# shellcheck disable=SC2086 # one argument per path
check_eq "nghttp: 40 streams on one connection, all 200" 40 \
  "$(NG -v -m 1 $paths 2>&1 | grep -c ':status: 200')"
check_eq "nghttp: one connection for them (one SETTINGS from the server)" 1 \
  "$(NG -v $paths 2>&1 | grep -c 'recv SETTINGS frame <length=[0-9]*, flags=0x00')"
check_eq "no server push offered or sent" 0 "$(NG -v "$I/page.html" 2>&1 | grep -c PUSH_PROMISE)"
h2l=$(ip netns exec "$PX_NS" h2load -n 2000 -c 4 -m 10 "$I/page.html" 2>&1)
check_eq "h2load -n 2000 -c 4 -m 10: 2000 succeeded, all 2xx" "2000 2000" \
  "$(echo "$h2l" | sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p') \
$(echo "$h2l" | sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p')"
check_eq "h2load: ALPN h2" "h2" "$(echo "$h2l" | sed -n 's/^Application protocol: //p')"

# ---- what is recorded ----------------------------------------------------------------------
check "access log: h2 requests say HTTP/2.0" grep -q 'GET /index.html" 200 .* proto=HTTP/2.0 id=' "$T_TMP/rampart.log"
h2c=$(metric 'rampart_connections_by_protocol_total{protocol="h2"}')
check "metrics: connections by protocol count h2 ones" test "${h2c:-0}" -ge 10
h2r=$(metric 'rampart_requests_by_protocol_total{protocol="h2"}')
check "metrics: requests by protocol count h2 ones" test "${h2r:-0}" -ge 2000
check_eq "metrics: no h2 stream left open" 0 "$(metric rampart_http2_streams_active)"

# ---- the plain listener never speaks h2 ----------------------------------------------------
check_eq "prior-knowledge h2 on the plain port: refused (400, no h2)" "400" \
  "$(px_raw 18080 --print status --send 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')"
check_eq "h2c upgrade on the plain port: redirected, never upgraded" "301" \
  "$(px_curl --http2 -o /dev/null -w '%{http_code}' http://www.foobar.com:18080/index.html)"

# ---- reload: two-step GOAWAY, the stream in flight finishes ---------------------------------
ip netns exec "$PX_NS" nghttp -v "$I/py/slow" >"$T_TMP/slow.out" 2>&1 &
slow=$!
sleep 0.5
kill -HUP "$PX_RAMPART"
wait "$slow"
# nghttp prints a frame's fields on the line after it
goaways=$(grep -A1 'recv GOAWAY frame' "$T_TMP/slow.out" | grep -o 'last_stream_id=[0-9]*, error_code=[A-Z_]*' | paste -sd' ')
check_eq "reload: GOAWAY naming the highest stream id, then the last stream taken (the request's)" \
  "last_stream_id=2147483647, error_code=NO_ERROR last_stream_id=13, error_code=NO_ERROR" "$goaways"
check "reload: the request in flight got its answer" grep -q ':status: 200' "$T_TMP/slow.out"
check_eq "after the reload: served" "2 200" "$(px_curl2 -o /dev/null -w '%{http_version} %{http_code}' "$B/index.html")"
px_done
