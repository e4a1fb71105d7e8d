#!/usr/bin/env bash
# The admin pages as their real readers see them: /metrics through
# Prometheus's own parser (promtool check metrics), /status rendered by
# headless Chromium (the DOM it built: charts, timeline, tables; and a
# screenshot: its size, and the charts and timeline painted in their
# colours), /healthz through curl. The server is
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
chromium() {
  # --enable-logging: console messages, CSP violations among them, on stderr
  timeout 60 "$chromium_bin" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --enable-logging=stderr --v=0 --disable-background-networking --disable-component-update --disable-sync \
    --no-first-run --user-data-dir="$T_TMP/chromium" "$@" 2>>"$T_TMP/chromium.err"
}
if [ -n "$chromium_bin" ]; then
  # --dump-dom prints the DOM after the page was parsed and laid out
  chromium --dump-dom "$base/status" >"$T_TMP/dom.html"
  check "chromium renders /status: VRRP role" \
    grep -q '<td id="vrrp-role" class="master">master</td>' "$T_TMP/dom.html"
  check "chromium renders /status: backends with state" \
    grep -q '<td>web-02</td><td>198.19.0.12:80</td><td class="up">up</td>' "$T_TMP/dom.html"
  check "chromium renders /status: counters" grep -q '<th>TLS 1.3 handshakes</th><td>9</td>' "$T_TMP/dom.html"
  # the charts, as SVG elements in the DOM: four, each with its line of
  # points (one every 10 s over 15 minutes: the demo history has 90)
  check_eq "chromium renders /status: four SVG charts" 4 "$(grep -o '<svg id="chart-[a-z]*"' "$T_TMP/dom.html" | wc -l)"
  points=$(grep -o '<path class="s0" d="[^"]*"' "$T_TMP/dom.html" | head -n1 | grep -o '[ML][0-9.]*,[0-9.]*' | wc -l)
  check_eq "... the request chart has a point per sample" 90 "$points"
  check_eq "... the latency chart has two lines, p50 and p99" 2 \
    "$(sed -n 's/.*<svg id="chart-latency"\(.*\)<\/svg>.*/\1/p' "$T_TMP/dom.html" | grep -o '<path class="s[01]"' | wc -l)"
  check "... with a break where no request was timed" \
    bash -c "sed -n 's/.*<svg id=\"chart-latency\"\\(.*\\)<\\/svg>.*/\\1/p' '$T_TMP/dom.html' | grep -o '<path class=\"s0\" d=\"[^\"]*\"' | grep -o M | wc -l | grep -qx 2"
  check_eq "chromium renders /status: the VRRP timeline, four stretches" 4 \
    "$(grep -o '<rect class="role-[a-z]*"' "$T_TMP/dom.html" | wc -l)"
  check "... and its changes, newest first" \
    grep -q '<table id="vrrp-changes"><tbody><tr><th>when (UTC)</th><th>ago</th><th>from</th><th>to</th></tr><tr><td>2026-12-01 12:18:00Z</td><td>2 min</td>' "$T_TMP/dom.html"
  check "chromium renders /status: certificates flagged by days left" \
    bash -c "grep -q '<td class=\"ok\">60</td>' '$T_TMP/dom.html' && grep -q '<td class=\"warn\">10</td>' '$T_TMP/dom.html' && grep -q '<td class=\"crit\">2</td>' '$T_TMP/dom.html'"
  check "chromium renders /status: a backend's last change and check" \
    grep -q '<td>2026-12-01 12:14:00Z (6 min ago): status 200</td><td class="ok">status 200</td>' "$T_TMP/dom.html"
  check "chromium renders /status: firewall drops and blocked addresses" \
    bash -c "grep -q 'dropped by drop_input</th><td>1234 packets' '$T_TMP/dom.html' && grep -q '<th>blocked addresses</th><td>3</td>' '$T_TMP/dom.html'"
  check_fails "chromium: no CSP violation reported on its console" \
    grep -qi "violates the following content security policy" "$T_TMP/chromium.err"

  # the screenshot: its size is the window's, and the charts and the
  # timeline were painted in their colours (path.s0 #1565c0, path.s1
  # #c62828, rect.role-master #2e7d32, rect.role-backup #90a4ae)
  chromium --window-size=1200,1600 --screenshot="$T_TMP/status.png" "$base/status" >/dev/null
  painted=$(python3 - "$T_TMP/status.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
bpp = {2: 3, 6: 4}[ctype]
raw, stride = zlib.decompress(idat), w * bpp
rows, prev, i = [], bytearray(stride), 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
colours = {"s0": (0x15, 0x65, 0xc0), "s1": (0xc6, 0x28, 0x28), "master": (0x2e, 0x7d, 0x32), "backup": (0x90, 0xa4, 0xae)}
count = dict.fromkeys(colours, 0)
for line in rows:
    for x in range(0, stride, bpp):
        px = tuple(line[x:x + 3])
        for k, c in colours.items():
            if all(abs(px[j] - c[j]) <= 8 for j in range(3)):
                count[k] += 1
print(w, h, *(count[k] for k in colours))
PY
)
  read -r sw sh s0 s1 master backup <<<"$painted"
  check_eq "screenshot: the window's size" "1200x1600" "${sw}x${sh}"
  check "screenshot: the chart lines are painted (blue $s0 px, red $s1 px)" test "${s0:-0}" -gt 500 -a "${s1:-0}" -gt 100
  check "screenshot: the VRRP timeline is painted (master $master px, backup $backup px)" \
    test "${master:-0}" -gt 1000 -a "${backup:-0}" -gt 1000
else
  not_ok "chromium renders /status" "chromium not installed (apt-get install chromium)"
fi
stop_pid "$pid"
t_done
