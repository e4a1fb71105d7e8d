#!/usr/bin/env bash
# A backend killed in the middle of 2,000 sequential requests costs no
# client an error: the connect failure (or a pooled socket found dead) is
# retried once on the other backend, and passive health takes it out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_process.sh"
. "$(dirname "$0")/lib_proxy.sh"
require_root

px_setup
res=$(ip netns exec "$PX_NS" python3 - "${PX_NGINX[web-02]}" <<'PY'
import http.client, os, signal, ssl, sys
victim = int(sys.argv[1])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
conn = http.client.HTTPSConnection("127.0.0.1", 18443, context=ctx, timeout=10)
failed, seen, fresh_conns = 0, {}, 0
for i in range(2000):
    if i == 700:
        os.kill(victim, signal.SIGKILL)
    if i % 100 == 50:                       # some requests on new connections too
        conn.close(); fresh_conns += 1
    try:
        conn.request("GET", "/who", headers={"Host": "www.foobar.com"})
        r = conn.getresponse(); body = r.read().decode().strip()
        if r.status != 200:
            failed += 1
        else:
            seen[body] = seen.get(body, 0) + 1
    except Exception as e:
        failed += 1
        conn.close()
after = seen.get("web-02", 0)
print(failed, "both-used" if seen.get("web-01", 0) > 1000 and after >= 300 else "unbalanced:%s" % seen)
PY
)
check_eq "2,000 sequential requests, web-02 killed at #700: 0 failed" "0 both-used" "$res"
codes=$(for i in 1 2 3 4; do px_curl -o /dev/null -w '%{http_code} ' https://www.foobar.com:18443/who; done)
check_eq "after the kill every request still succeeds" "200 200 200 200 " "$codes"
px_done
