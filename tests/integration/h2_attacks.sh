#!/usr/bin/env bash
# The HTTP/2 attack classes against the daemon, each a hand-built frame
# sequence (tests/integration/h2_client.py: hyperframe + hpack), each
# asserting the exact answer (RST_STREAM or GOAWAY and its code, the
# connection closed within the wait), what reached the backends (their
# logs: nothing, or only the harmless part), and that a bystander h2
# connection opened before the attack is still served after it:
#   rapid reset (CVE-2023-44487), CONTINUATION floods (CVE-2024-27316
#   family: frame count and bytes), the 2019 floods (CVE-2019-9512 ping,
#   -9515 settings, -9518 empty frames, -9513 priority churn, window
#   updates, unknown frames), an HPACK bomb (-9516 family), a zero window
#   (-9517), too many streams, h2-to-h1 smuggling (H2.CL, H2.TE, CR/LF/NUL
#   in names and values, pseudo-header misuse, connection-specific
#   fields, :authority and Host that differ), a bad preface, and the
#   first-stream and idle deadlines. The limits are set small so each
#   attack ends fast; the metrics count every hit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
require_root
PY=/usr/bin/python3 # Debian's, with python3-h2's hpack and hyperframe
$PY -c 'import hpack, hyperframe' 2>/dev/null || { not_ok "python3-hpack and python3-hyperframe installed"; t_done; }
HELPER=$RAMPART_ROOT/tests/integration/h2_client.py

netns_add h2a >/dev/null || { not_ok "namespace"; exit 1; }
NS="$T_TAG-h2a"
proc_cert || { not_ok "certificate"; exit 1; }
for i in 1 2; do
  : >"$T_TMP/web-0$i.log"
  spawn "$NS" "$T_TMP/web-0$i.out" $PY "$HELPER" backend 1808$i "$T_TMP/web-0$i.log" >/dev/null
done
PROC_HEALTH_PATH=/health-check proc_config "$T_TMP/r.ini" "[http2]
max_concurrent_streams = 8
max_header_list_size = 8k
max_continuations = 4
max_header_block_size = 16k
max_frames_without_progress = 50
max_resets_per_second = 20
first_stream_timeout = 1s
idle_timeout = 2s"
sed -i 's/^max_connections_per_ip = 3$/max_connections_per_ip = 40/; s/^workers = 2$/workers = 1/
  s/^enabled = no$/enabled = yes\nlisten = 127.0.0.1:19101/
  s/^\[limits\]$/[limits]\nresponse_timeout = 2s\nsend_timeout = 1s/' "$T_TMP/r.ini"
spawn "$NS" "$T_TMP/rampart.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
RAMPART=$!
for p in 18081 18082 18443; do
  wait_port "$NS" 127.0.0.1 $p || { not_ok "port $p up" "$(tail -n 5 "$T_TMP/rampart.log")"; exit 1; }
done
wait_for 10 ip netns exec "$NS" curl -skf --http2 -o /dev/null https://127.0.0.1:18443/who ||
  { not_ok "rampart serves h2" "$(tail -n 5 "$T_TMP/rampart.log")"; exit 1; }

backend_lines() { cat "$T_TMP"/web-0[12].log | grep -vcE '^GET /(health-check|bystander) '; }
# expect NAME WANT_LINE WANT_BACKEND [ARGS...]: one attack: the helper's
# verdict line, and the requests the backends got meanwhile (a number or
# "<=N"; the health checks and the bystander's requests are not counted).
expect() {
  local name=$1 want=$2 backend=$3 got before delta
  shift 3
  before=$(backend_lines)
  got=$(ip netns exec "$NS" timeout 60 $PY "$HELPER" 127.0.0.1 18443 attack "$name" "$@" 2>&1)
  delta=$(($(backend_lines) - before))
  check_eq "$name: $want" "$want" "$got"
  case "$backend" in
    "<="*) check "$name: at most ${backend#<=} request(s) reached a backend (got $delta)" \
      test "$delta" -le "${backend#<=}" ;;
    *) check_eq "$name: requests that reached a backend" "$backend" "$delta" ;;
  esac
}
CALM="rst=- goaway=ENHANCE_YOUR_CALM closed=yes status=- after=- bystander=200"

# ---- connection-level budgets: GOAWAY ENHANCE_YOUR_CALM, closed ------------------------------------
expect rapid_reset "$CALM" "<=21" --count 500 # the bucket's 20, +1 racing its own reset
expect continuation_flood "$CALM" 0 --count 1000
expect continuation_bytes "$CALM" 0 --count 4 # 32000 bytes, 20000 in Huffman: over the 16k
for f in ping_flood settings_flood window_update_flood priority_flood unknown_flood; do
  expect $f "$CALM" 0 --count 500
done
expect empty_data_flood "$CALM" "<=1" --count 500 # the POST head itself went on

# ---- stream-level: the request never reaches a backend, the connection serves on -----------------
PROTO="rst=PROTOCOL_ERROR goaway=- closed=no status=- after=yes bystander=200"
for s in h2_te crlf_value lf_value nul_value space_value crlf_name uppercase_name connection_header \
  keepalive_header upgrade_header te_gzip pseudo_twice pseudo_after_regular pseudo_unknown pseudo_status \
  no_method no_path space_in_path host_mismatch; do
  expect $s "$PROTO" 1 # only the follow-up GET /who
done
# H2.CL: "content-length: 0" and then DATA: refused before anything reached a backend
expect h2_cl "$PROTO" 1
check_eq "h2_cl: the smuggled request never reached a backend" 0 "$(cat "$T_TMP"/web-0[12].log | grep -c smuggled)"
expect h2_cl_short "$PROTO" "<=2" # cut short: the backend sees a request that never completes
expect hpack_bomb "rst=- goaway=- closed=no status=431 after=yes bystander=200" 1 --count 10
expect too_many_streams "rst=REFUSED_STREAM goaway=- closed=no status=- after=yes bystander=200" "<=9" --count 9
# once the client knows the limit, breaking it is a connection error (nghttp2's choice, RFC 9113 §5.1.2)
expect too_many_streams_acked "rst=- goaway=PROTOCOL_ERROR closed=yes status=- after=- bystander=200" "<=8" --count 9

# ---- the protocol and the deadlines --------------------------------------------------------------
expect bad_preface "rst=- goaway=PROTOCOL_ERROR closed=yes status=- after=- bystander=200" 0
expect zero_window "rst=CANCEL goaway=- closed=no status=200 after=yes bystander=200" "<=2" --wait 8
expect no_request "rst=- goaway=NO_ERROR closed=yes status=- after=- bystander=200" 0 --wait 4
expect one_get "rst=- goaway=NO_ERROR closed=yes status=200 after=yes bystander=200" 2 --wait 6

# ---- counted ---------------------------------------------------------------------------------------
ip netns exec "$NS" curl -s http://127.0.0.1:19101/metrics >"$T_TMP/metrics"
hits() { awk -v k="rampart_http2_limit_hits_total{limit=\"$1\"}" '$1 == k {print $2}' "$T_TMP/metrics"; }
check_eq "metrics: a hit per budget (resets, continuations, header block, frames without progress)" \
  "1 1 1 6" "$(hits resets_per_second) $(hits continuations) $(hits header_block_size) $(hits frames_without_progress)"
check_eq "metrics: header list, concurrent streams, send timeout, first stream, idle" "1 1 1 1 1" \
  "$(hits header_list_size) $(hits concurrent_streams) $(hits send_timeout) $(hits first_stream_timeout) $(hits idle_timeout)"
err() { awk -v k="rampart_http2_errors_total{frame=\"$1\",direction=\"sent\",code=\"$2\"}" '$1 == k {print $2}' "$T_TMP/metrics"; }
check_eq "metrics: RST_STREAM PROTOCOL_ERROR sent for each malformed request, REFUSED_STREAM, CANCEL" "21 1 1" \
  "$(err RST_STREAM PROTOCOL_ERROR) $(err RST_STREAM REFUSED_STREAM) $(err RST_STREAM CANCEL)"
check_eq "metrics: GOAWAY ENHANCE_YOUR_CALM for each budget broken, PROTOCOL_ERROR twice" "9 2" \
  "$(err GOAWAY ENHANCE_YOUR_CALM) $(err GOAWAY PROTOCOL_ERROR)"
check_eq "metrics: no stream left open" 0 "$(awk '$1 == "rampart_http2_streams_active" {print $2}' "$T_TMP/metrics")"
check_eq "still serving" "200" \
  "$(ip netns exec "$NS" curl -sk --http2 -o /dev/null -w '%{http_code}' https://127.0.0.1:18443/who)"
kill -TERM "$RAMPART" 2>/dev/null
wait "$RAMPART" 2>/dev/null
check_eq "rampart exits 0 on SIGTERM" 0 "$?"
t_done
