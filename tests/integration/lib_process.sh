# Helpers for the process_*.sh integration tests (sourced after lib.sh; the
# runner skips lib* files). A throw-away certificate and a config whose
# listeners are on 127.0.0.1 inside the test's own namespace.

# The relay's user: the dedicated system user when it exists (deps.sh makes
# it), else nobody.
PROC_USER=${PROC_USER:-$(id -u rampart >/dev/null 2>&1 && echo rampart || echo nobody)}

# proc_cert: writes $T_TMP/cert.pem and $T_TMP/key.pem (ECDSA P-256, 0600).
proc_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T_TMP/key.pem" -out "$T_TMP/cert.pem" -days 2 -subj /CN=www.foobar.com \
    >/dev/null 2>&1 && chmod 600 "$T_TMP/key.pem"
}

# proc_config FILE [EXTRA_INI_TEXT]: a valid config; EXTRA is appended (a
# key may be set only once: change existing ones with sed). The health
# check asks for $PROC_HEALTH_PATH: /who when lib_proxy.sh's nginx backends
# are in use (they answer 200 there, 403 for /), else / (python3 -m
# http.server and an nginx with an index answer 200 there).
proc_config() {
  local hpath=${PROC_HEALTH_PATH:-$(declare -F px_nginx >/dev/null && echo /who || echo /)}
  cat >"$1" <<INI
[gateway]
listen_https = 127.0.0.1:18443
listen_http = 127.0.0.1:18080
workers = 2
user = ${PROC_USER:-nobody}
drain_timeout = 5s
[tls]
certificate = www.foobar.com $T_TMP/cert.pem $T_TMP/key.pem
[backend web-01]
address = 127.0.0.1
port = 18081
[backend web-02]
address = 127.0.0.1
port = 18082
[health]
path = $hpath
interval = 1s
timeout = 1s
rise = 2
fall = 2
[limits]
max_connections = 50
max_connections_per_ip = 3
[admin]
enabled = no
${2:-}
INI
}

# proc_http NS PORT: the status code of GET / on 127.0.0.1:PORT (000 if none).
proc_http() {
  ip netns exec "$1" curl -s -o /dev/null -m 3 -w '%{http_code}' "http://127.0.0.1:$2/" 2>/dev/null
}

# proc_children PID: the PIDs of PID's children.
proc_children() { cat /proc/"$1"/task/*/children 2>/dev/null; }
# proc_exec_child PID FLAG [TRIES]: PID's first child exec'd as `rampart
# FLAG` (--relay, --keyholder; with [vrrp] the guard, --guard, is a child
# too), trying every 0.1 s, TRIES times (default 50: a relay starts once
# its key holder has loaded the keys, after the listeners are up); empty
# (status 1) when there is none.
proc_exec_child() {
  local i c
  for ((i = 0; i < ${3:-50}; i++)); do
    for c in $(proc_children "$1"); do
      tr '\0' ' ' </proc/"$c"/cmdline 2>/dev/null | grep -q -- " $2 \?$" && { echo "$c"; return 0; }
    done
    [ "${3:-50}" -gt 1 ] && sleep 0.1
  done
  return 1
}
# proc_relay PID [TRIES], proc_keyholder PID [TRIES]: the relay, the key holder.
proc_relay() { proc_exec_child "$1" --relay "${2:-50}"; }
proc_keyholder() { proc_exec_child "$1" --keyholder "${2:-50}"; }

# proc_status_field PID FIELD: a line of /proc/PID/status, value only.
proc_status_field() { awk -v f="$2:" '$1 == f { print $2 }' /proc/"$1"/status 2>/dev/null; }
