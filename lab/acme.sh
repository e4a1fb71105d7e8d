# shellcheck shell=bash
# LAB_CA=acme (lab.sh up, make demo): the gateways get their certificate for
# www.foobar.com from an ACME server instead of the hand-made lab CA.
# Sourced by lab.sh. The ACME server is Debian's pebble, in its own
# namespace ${P}acme on the "internet" segment (198.18.0.50), with its own
# config, TLS certificate, CA, ports and PID files under $RUN/acme; its
# validations resolve www.foobar.com through pebble-challtestsrv's DNS
# (pebble -dnsserver), which answers with the VIP being validated.
#
# The pair orders once: the VRRP master of the first instance (vip-a: gw-1)
# orders, and the certificate reaches gw-2 over the peer channel, which
# also carries the order under way and its HTTP-01 answers (either gateway
# answers pebble). `up` starts gw-1, waits for its certificate, then gw-2,
# which takes it from gw-1 when their channel comes up. LAB_ACME_NAMES
# (space-separated) adds certificates of more names to both gateways
# (the tests: orders after `up`, `lab.sh reload-gw`).

ACME_ADDR=198.18.0.50
ACME_DIR=$RUN/acme
ACME_ROOT=$ACME_DIR/root.pem
ACME_WAIT_MAX=${LAB_ACME_WAIT:-60} # s: an order takes a few seconds

# lab_ca: "acme" or "lab", as `up` recorded it in $RUN/ca.
lab_ca() { cat "$RUN/ca" 2>/dev/null || echo lab; }

acme_tools_present() {
  command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null ||
    die "LAB_CA=acme needs pebble (apt-get install pebble)"
  id -u rampart-acme >/dev/null 2>&1 || die "LAB_CA=acme needs the user rampart-acme (scripts/deps.sh)"
  [ "$TOPOLOGY" = vrrp ] || die "LAB_CA=acme is for the VRRP pair only"
}

# pebble's own TLS certificate (what the gateways' acme_ca_file pins).
acme_server_cert() {
  (
    cd "$ACME_DIR" || exit 1
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj "/CN=foobar.com lab ACME server CA" -keyout srvca.key -out srvca.pem &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=pebble \
        -keyout srv.key -out srv.csr &&
      openssl x509 -req -in srv.csr -CA srvca.pem -CAkey srvca.key -CAcreateserial -days 30 \
        -extfile <(echo "subjectAltName=IP:$ACME_ADDR") -out srv.pem
  ) >"$RUN/logs/acme-pki.log" 2>&1 || die "openssl failed (see $RUN/logs/acme-pki.log)"
  chmod 644 "$ACME_DIR/srvca.pem"
}

# acme_dns_a ADDR [NAME]: NAME (www.foobar.com) -> ADDR (only) for pebble's validations
# (add-a appends: cleared first). Pebble's neighbour cache is flushed too:
# an entry for ADDR made while the other gateway held it would outlive the
# takeover's gratuitous ARP (ignored within the 1 s locktime).
acme_dns_a() {
  local host="\"host\":\"${2:-www.foobar.com}\""
  in_ns acme curl -sf --max-time 3 -d "{$host}" "http://$ACME_ADDR:8055/clear-a" >/dev/null &&
    in_ns acme curl -sf --max-time 3 -d "{$host,\"addresses\":[\"$1\"]}" \
      "http://$ACME_ADDR:8055/add-a" >/dev/null || return 1
  ip -n "$(ns acme)" neigh flush dev eth0 2>/dev/null
  return 0
}

acme_port_open() { in_ns acme bash -c "exec 3<>/dev/tcp/$ACME_ADDR/$1"; }

# acme_up: the namespace, challtestsrv's DNS, pebble (real validation,
# strict), pebble's root in $ACME_ROOT. Called after make_topology.
acme_up() {
  mkdir -p "$ACME_DIR" && chmod 755 "$ACME_DIR"
  add_ns acme
  link acme eth0 "$ACME_ADDR" inet || die "acme link"
  acme_server_cert
  cat >"$ACME_DIR/pebble.json" <<JSON
{"pebble": {"listenAddress": "$ACME_ADDR:14000", "managementListenAddress": "$ACME_ADDR:15000",
  "certificate": "$ACME_DIR/srv.pem", "privateKey": "$ACME_DIR/srv.key",
  "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON
  spawn acme-dns acme pebble-challtestsrv -dns01 "$ACME_ADDR:8053" -defaultIPv4 "$VIP_A" \
    -defaultIPv6 "" -http01 "" -https01 "" -tlsalpn01 "" -management "$ACME_ADDR:8055"
  wait_until 10 acme_port_open 8055 || die "pebble-challtestsrv did not start (see $RUN/logs/acme-dns.log)"
  acme_dns_a "$VIP_A" || die "pebble-challtestsrv: cannot set www.foobar.com"
  (cd "$ACME_DIR" && PEBBLE_VA_NOSLEEP=1 PEBBLE_VA_ALWAYS_VALID=0 PEBBLE_AUTHZREUSE=0 \
    spawn pebble acme pebble -strict -config "$ACME_DIR/pebble.json" -dnsserver "$ACME_ADDR:8053")
  wait_until 10 acme_port_open 14000 || die "pebble did not start (see $RUN/logs/pebble.log)"
  in_ns acme curl -s --max-time 5 --cacert "$ACME_DIR/srvca.pem" "https://$ACME_ADDR:15000/roots/0" >"$ACME_ROOT"
  grep -q "BEGIN CERTIFICATE" "$ACME_ROOT" || die "cannot fetch pebble's root"
  chmod 644 "$ACME_ROOT"
  say "ACME: pebble on $ACME_ADDR:14000 (namespace $(ns acme)), its root in $ACME_ROOT;" \
    "www.foobar.com -> $VIP_A for its validations (pebble-challtestsrv)"
}

# acme_gateway_config FILE NAME: the [tls] certificate of FILE comes from
# pebble: files of the gateway's own, acme = yes, state in $RUN/NAME/acme.
acme_gateway_config() {
  local file=$1 dir=$RUN/$2
  sed -i "s|^certificate = .*|certificate = www.foobar.com $dir/www.foobar.com.crt $dir/www.foobar.com.key\\
; LAB_CA=acme: from pebble (lab/acme.sh)\\
acme = yes\\
acme_directory = https://$ACME_ADDR:14000/dir\\
acme_contact = mailto:ops@foobar.com\\
acme_ca_file = $ACME_DIR/srvca.pem\\
acme_state_dir = $dir/acme\\
acme_order_timeout = 2m|" "$file"
  local n
  for n in ${LAB_ACME_NAMES:-}; do
    sed -i "s|^acme = yes$|certificate = $n $dir/$n.crt $dir/$n.key\nacme = yes|" "$file"
  done
}

# acme_installed GW [NAME]: GW has installed a certificate from pebble.
acme_installed() { grep -q "acme_certificate_installed.* name=${2:-www.foobar.com}" "$RUN/logs/$1.log" 2>/dev/null; }

# acme_verifies ADDR [NAME]: the chain served through ADDR verifies against pebble's root.
acme_verifies() {
  in_ns client openssl s_client -connect "$1:443" -servername "${2:-www.foobar.com}" -CAfile "$ACME_ROOT" \
    -verify_return_error </dev/null 2>&1 | grep -q "Verify return code: 0 (ok)"
}

# acme_point ADDR GW: pebble validates through ADDR, whose gateway GW
# orders next; waits (bounded) for GW's certificate.
acme_point() {
  acme_dns_a "$1" || return 1
  wait_until "$ACME_WAIT_MAX" acme_installed "$2"
}

# acme_wait: until the gateway holding each VIP serves a chain that
# verifies against pebble's root (bounded: ACME_WAIT_MAX per VIP). Prints
# what it waited for.
acme_wait() {
  local v h t0 rc=0
  for v in $VIPS; do
    h=$(vip_holders "$v")
    t0=$SECONDS
    if acme_verifies "$v"; then
      echo "${VIP_NAME[$v]} $v ($h): serves pebble's chain"
      continue
    fi
    echo "${VIP_NAME[$v]} $v ($h): waiting (at most ${ACME_WAIT_MAX} s) for its certificate from pebble" \
      "(ordered by the VRRP master of vip-a, shared over the peer channel)"
    if wait_until "$ACME_WAIT_MAX" acme_verifies "$v"; then
      echo "  ... served after $((SECONDS - t0)) s"
    else
      echo "  ... not after $((SECONDS - t0)) s (see $RUN/logs/$h.log)"
      rc=1
    fi
  done
  return $rc
}

# acme_before_gw GW (up): before gw-2 starts, gw-1 (the VRRP master of
# vip-a, which orders) has its certificate, validated through VIP-A; gw-2
# takes it over the peer channel.
acme_before_gw() {
  [ "$1" = gw-2 ] || return 0
  if acme_point "$VIP_A" gw-1; then
    say "ACME: gw-1 has its certificate from pebble (validated through VIP-A); gw-2 takes it over the peer channel"
  else
    say "ACME: gw-1 has no certificate from pebble yet (see $RUN/logs/gw-1.log); the tour waits for it"
  fi
}
