#!/usr/bin/env bash
# The admin pages as their real readers see them: /metrics through
# Prometheus's own parser (promtool check metrics), /status rendered by
# headless Chromium, /healthz through curl. The server is
# `build/tests/test_admin --serve` (the real listener and renderers with a
# fixed snapshot) on 127.0.0.1; no namespace needed.
. "$(dirname "$0")/lib.sh"

BIN=$RAMPART_BUILD/tests/test_admin
if [ ! -x "$BIN" ]; then
  not_ok "admin_pages" "$BIN missing (make unit)"
  exit 1
fi
pid=$(spawn - "$T_TMP/serve.out" "$BIN" --serve)
wait_for 10 test -s "$T_TMP/serve.out" || { not_ok "admin server starts"; exit 1; }
port=$(head -n1 "$T_TMP/serve.out")
base=http://127.0.0.1:$port

curl -sS --max-time 5 -o "$T_TMP/metrics" "$base/metrics"
if command -v promtool >/dev/null; then
  # promtool reads the exposition from stdin; lint problems are reported too
  check "promtool check metrics accepts /metrics" promtool check metrics <"$T_TMP/metrics"
else
  not_ok "promtool check metrics accepts /metrics" "promtool not installed (apt-get install prometheus)"
fi
check "/metrics has the backend gauge" grep -qx 'rampart_backend_up{backend="web-01"} 1' "$T_TMP/metrics"
# this machine has AES-NI: intel-ipsec-mb runs AES-GCM (tls/tls_crypto.h)
check "/metrics says which code runs AES-GCM" grep -qE '^rampart_crypto_impl\{primitive="aes-gcm",impl="ipsec-mb-[a-z0-9]+"\} 1$' "$T_TMP/metrics"

code=$(curl -s --max-time 5 -o "$T_TMP/health" -w '%{http_code}' "$base/healthz")
check_eq "/healthz answers 200" 200 "$code"
check "/healthz says why" grep -q '^ok: 2/2 backends up, vrrp master$' "$T_TMP/health"

chromium_bin=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chromium_bin" ]; then
  # --dump-dom prints the DOM after the page was parsed and laid out
  timeout 60 "$chromium_bin" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --disable-sync \
    --no-first-run --user-data-dir="$T_TMP/chromium" --dump-dom "$base/status" \
    >"$T_TMP/dom.html" 2>"$T_TMP/chromium.err"
  check "chromium renders /status: VRRP role" \
    grep -q '<td id="vrrp-role" class="master">master</td>' "$T_TMP/dom.html"
  check "chromium renders /status: backends with state" \
    grep -q '<td>web-02</td><td>198.19.0.12:80</td><td class="up">up</td>' "$T_TMP/dom.html"
  check "chromium renders /status: counters" grep -q '<th>TLS 1.3 handshakes</th><td>9</td>' "$T_TMP/dom.html"
else
  not_ok "chromium renders /status" "chromium not installed (apt-get install chromium)"
fi
stop_pid "$pid"
t_done
