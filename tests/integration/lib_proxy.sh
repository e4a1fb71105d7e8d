# Helpers for the proxy_*.sh integration tests (sourced after lib.sh and
# lib_process.sh; the runner skips lib* files): two real nginx backends on
# 127.0.0.1 inside the test's namespace, a small python3 backend behind
# them for uploads (sha256 of the body), chunked downloads and a WebSocket
# echo, and one rampart in front.
#
# Ports: rampart 18443 (https) / 18080 (http); nginx web-01 18081,
# web-02 18082; python helper 18083.

PX_NS=""
PX_RAMPART=""
declare -A PX_NGINX=()

# px_nginx NAME PORT: starts one nginx (no daemon, no master) serving
# $T_TMP/www; remembers its PID in PX_NGINX[NAME].
px_nginx() {
  local name=$1 port=$2 dir="$T_TMP/nginx-$1"
  mkdir -p "$dir/logs" "$dir/tmp"
  cat >"$dir/nginx.conf" <<NGX
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 100000;
  client_max_body_size 200m;
  server {
    listen 127.0.0.1:$port;
    root $T_TMP/www;
    location = /who { default_type text/plain; return 200 "$name\n"; }
    location = /hdr {
      default_type text/plain;
      return 200 "xff=\$http_x_forwarded_for|proto=\$http_x_forwarded_proto|fwd=\$http_forwarded|rid=\$http_x_request_id|conn=\$http_connection|secret=\$http_x_secret|ka=\$http_keep_alive|te=\$http_te|up=\$http_upgrade|pa=\$http_proxy_authorization|host=\$http_host|\n";
    }
    location = /sts { add_header Strict-Transport-Security "max-age=1" always; return 200 "sts\n"; }
    location /py/ {
      proxy_pass http://127.0.0.1:18083;
      proxy_http_version 1.1;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$http_connection;
      proxy_read_timeout 30s;
    }
  }
}
NGX
  spawn "$PX_NS" "$dir/stdout.log" nginx -p "$dir" -c "$dir/nginx.conf" >/dev/null
  PX_NGINX[$name]=$!
}

# px_python: the helper backend (uploads, chunked downloads, websocket echo).
px_python() {
  cat >"$T_TMP/pyback.py" <<'PY'
import base64, hashlib, socketserver, struct, sys

def read_head(f):
    line = f.readline()
    headers = {}
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode().partition(":")
        headers[k.strip().lower()] = v.strip()
    return line.decode().split(), headers

def read_body(f, headers):
    h = hashlib.sha256()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int(f.readline().split(b";")[0], 16)
            if size == 0:
                while f.readline() not in (b"\r\n", b""):
                    pass
                break
            left = size
            while left:
                d = f.read(min(left, 65536)); h.update(d); left -= len(d)
            f.readline()
    else:
        left = int(headers.get("content-length", "0"))
        while left:
            d = f.read(min(left, 65536)); h.update(d); left -= len(d)
    return h.hexdigest()

def pattern(n):
    block = bytes(range(256)) * 256
    out = []
    while n > 0:
        out.append(block[:min(n, len(block))]); n -= len(block)
    return out

class H(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            req, headers = read_head(self.rfile)
            if not req:
                return
            method, path = req[0], req[1]
            if path.startswith("/py/ws"):
                return self.websocket(headers)
            if path.startswith("/py/sha"):
                body = (read_body(self.rfile, headers) + "\n").encode()
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            elif path.startswith("/py/chunked/"):
                n = int(path.rsplit("/", 1)[1])
                self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                for part in pattern(n):
                    self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            elif path.startswith("/py/slow"):
                import time; time.sleep(3)
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nslow\n")
            else:
                self.wfile.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            self.wfile.flush()

    def websocket(self, headers):
        key = headers.get("sec-websocket-key", "")
        acc = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        self.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Accept: " + acc + b"\r\n\r\n")
        self.wfile.flush()
        while True:
            hdr = self.rfile.read(2)
            if len(hdr) < 2:
                return
            op, ln = hdr[0] & 0x0f, hdr[1] & 0x7f
            if ln == 126: ln = struct.unpack(">H", self.rfile.read(2))[0]
            elif ln == 127: ln = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if hdr[1] & 0x80 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(ln)))
            if op == 8:
                return
            out = bytes([0x80 | op])
            out += bytes([len(data)]) if len(data) < 126 else bytes([126]) + struct.pack(">H", len(data))
            self.wfile.write(out + data); self.wfile.flush()

class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

S(("127.0.0.1", 18083), H).serve_forever()
PY
  spawn "$PX_NS" "$T_TMP/pyback.log" python3 "$T_TMP/pyback.py" >/dev/null
}

# px_setup [EXTRA_INI]: namespace, content, backends, rampart; fails the
# test script when something does not come up. PX_ADMIN=ADDR:PORT turns
# the admin listener on there.
px_setup() {
  # not $(netns_add ...): a subshell would lose lib.sh's cleanup list
  netns_add px >/dev/null || { not_ok "namespace"; exit 1; }
  PX_NS="$T_TAG-px"
  mkdir -p "$T_TMP/www/.well-known/acme-challenge"
  echo "acme-token-ok" >"$T_TMP/www/.well-known/acme-challenge/tok123"
  echo "ok" >"$T_TMP/www/index.html" # the health check GETs /
  head -c 600 /dev/zero | tr '\0' 'p' >"$T_TMP/www/page.html"
  head -c $((10 * 1024 * 1024)) /dev/urandom >"$T_TMP/www/big.bin"
  proc_cert || { not_ok "certificate"; exit 1; }
  px_python
  px_nginx web-01 18081
  px_nginx web-02 18082
  proc_config "$T_TMP/r.ini" "${1:-}"
  sed -i 's/^max_connections_per_ip = 3$/max_connections_per_ip = 200/; s/^max_connections = 50$/max_connections = 400/; s/^workers = 2$/workers = 1/' "$T_TMP/r.ini"
  [ -z "${PX_ADMIN:-}" ] || sed -i "s/^enabled = no$/enabled = yes\nlisten = $PX_ADMIN/" "$T_TMP/r.ini"
  spawn "$PX_NS" "$T_TMP/rampart.log" "$RAMPART_BUILD/rampart" -c "$T_TMP/r.ini" >/dev/null
  PX_RAMPART=$!
  local p
  for p in 18081 18082 18083 18443 18080; do
    wait_port "$PX_NS" 127.0.0.1 $p || { not_ok "port $p up" "$(tail -n 5 "$T_TMP/rampart.log")"; exit 1; }
  done
}

# px_curl ARGS...: curl inside the namespace against rampart (https), over
# HTTP/1.1 (curl would negotiate h2: px_curl2 for that).
px_curl() {
  ip netns exec "$PX_NS" curl -sk --http1.1 --max-time 20 --resolve www.foobar.com:18443:127.0.0.1 \
    --resolve www.foobar.com:18080:127.0.0.1 "$@"
}

# px_curl2 ARGS...: the same over HTTP/2 (ALPN h2).
px_curl2() {
  ip netns exec "$PX_NS" curl -sk --http2 --max-time 20 --resolve www.foobar.com:18443:127.0.0.1 "$@"
}

# px_raw PORT ARGS...: tests/integration/raw_request.py against rampart on
# 127.0.0.1:PORT inside the namespace (SNI www.foobar.com when --tls).
px_raw() {
  local port=$1
  shift
  ip netns exec "$PX_NS" python3 "$RAMPART_ROOT/tests/integration/raw_request.py" \
    --sni www.foobar.com 127.0.0.1 "$port" "$@"
}

# px_done: stops rampart (SIGTERM: it must exit 0 after draining) and ends
# the test with its verdict.
px_done() {
  kill -TERM "$PX_RAMPART" 2>/dev/null
  local rc
  wait "$PX_RAMPART" 2>/dev/null
  rc=$?
  check_eq "rampart exits 0 on SIGTERM" 0 "$rc"
  t_done
}
