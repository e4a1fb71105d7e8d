# Helpers for the ACME integration tests (sourced after lib.sh and
# lib_process.sh; the runner skips lib* files): pebble in a namespace with
# its own TLS certificate, CA and ports, its DNS (pebble-challtestsrv:
# every name -> 198.18.0.1, Rampart), and a Rampart config with acme = yes.

# acme_net NAME: a namespace with 198.18.0.1 (Rampart) and 198.18.0.2
# (the ACME server) on lo; prints it.
acme_net() {
  local ns
  ns=$(netns_add "$1") || return 1
  ip -n "$ns" addr add 198.18.0.1/24 dev lo && ip -n "$ns" addr add 198.18.0.2/24 dev lo || return 1
  chmod 0711 "$T_TMP" # the ACME process (rampart-acme) reaches its state directory below
  echo "$ns"
}

# acme_server_cert: $T_TMP/srvca.pem (what acme_ca_file pins) and a leaf
# for 198.18.0.2 signed by it ($T_TMP/srv.pem, srv.key).
acme_server_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T_TMP/srvca.key" \
    -out "$T_TMP/srvca.pem" -days 2 -subj /CN=acme-test-server-ca >/dev/null 2>&1 &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T_TMP/srv.key" \
      -out "$T_TMP/srv.csr" -subj /CN=acme-server >/dev/null 2>&1 &&
    openssl x509 -req -in "$T_TMP/srv.csr" -CA "$T_TMP/srvca.pem" -CAkey "$T_TMP/srvca.key" \
      -CAcreateserial -days 2 -extfile <(printf 'subjectAltName=IP:198.18.0.2\n') \
      -out "$T_TMP/srv.pem" >/dev/null 2>&1
}

# acme_pebble NS PEBBLE_BINARY: challtestsrv's DNS and pebble (strict, 30%
# of good nonces rejected, real validation on port 80 of 198.18.0.1), and
# pebble's root in $T_TMP/pebble-root.pem.
acme_pebble() {
  local ns=$1 bin=$2
  acme_server_cert || return 1
  cat >"$T_TMP/pebble.json" <<JSON
{"pebble": {"listenAddress": "198.18.0.2:14000", "managementListenAddress": "198.18.0.2:15000",
  "certificate": "$T_TMP/srv.pem", "privateKey": "$T_TMP/srv.key",
  "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON
  spawn "$ns" "$T_TMP/dns.log" pebble-challtestsrv -dns01 198.18.0.2:8053 -defaultIPv4 198.18.0.1 \
    -defaultIPv6 "" -http01 "" -https01 "" -tlsalpn01 "" -management 198.18.0.2:8055 >/dev/null
  wait_port "$ns" 198.18.0.2 8055 || return 1
  (cd "$T_TMP" && PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=30 PEBBLE_VA_ALWAYS_VALID=0 PEBBLE_AUTHZREUSE=0 \
    spawn "$ns" "$T_TMP/pebble.log" "$bin" -strict -config "$T_TMP/pebble.json" -dnsserver 198.18.0.2:8053 \
    >"$T_TMP/pebble.pid")
  wait_port "$ns" 198.18.0.2 14000 || return 1
  ip netns exec "$ns" curl -s --cacert "$T_TMP/srvca.pem" https://198.18.0.2:15000/roots/0 >"$T_TMP/pebble-root.pem"
  grep -q "BEGIN CERTIFICATE" "$T_TMP/pebble-root.pem"
}

# acme_dns_a NS NAME ADDR: NAME resolves to ADDR for pebble.
acme_dns_a() {
  ip netns exec "$1" curl -s -d "{\"host\":\"$2\",\"addresses\":[\"$3\"]}" http://198.18.0.2:8055/add-a >/dev/null
}

# acme_config FILE NAME...: proc_config's, on 198.18.0.1:443/80, one
# certificate per NAME, acme = yes against 198.18.0.2:14000, one backend
# (127.0.0.1:18081), the admin listener on 127.0.0.1:19100.
acme_config() {
  local file=$1 n certs=""
  shift
  for n in "$@"; do certs="${certs}certificate = $n $T_TMP/$n.crt $T_TMP/$n.key\\
"; done
  proc_config "$file"
  sed -i -e 's/^listen_https = .*/listen_https = 198.18.0.1:443/' -e 's/^listen_http = .*/listen_http = 198.18.0.1:80/' \
    -e "s|^certificate = .*|${certs}acme = yes\\
acme_directory = https://198.18.0.2:14000/dir\\
acme_contact = mailto:ops@acme.test\\
acme_ca_file = $T_TMP/srvca.pem\\
acme_state_dir = $T_TMP/state\\
acme_order_timeout = 2m|" -e '/^\[backend web-02\]/,/^port/d' \
    -e 's/^\[admin\]/[admin]\nlisten = 127.0.0.1:19100/' -e 's/^enabled = no/enabled = yes/' "$file"
}

# acme_served_verifies NS NAME: the chain served for NAME verifies against
# pebble's root (openssl s_client -verify_return_error).
acme_served_verifies() {
  ip netns exec "$1" openssl s_client -connect 198.18.0.1:443 -servername "$2" -CAfile "$T_TMP/pebble-root.pem" \
    -verify_return_error </dev/null 2>&1 | grep -q "Verify return code: 0 (ok)"
}

# acme_metrics NS: /metrics of the admin listener.
acme_metrics() { ip netns exec "$1" curl -s -m 5 http://127.0.0.1:19100/metrics; }
