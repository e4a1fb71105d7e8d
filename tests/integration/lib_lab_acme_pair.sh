# shellcheck shell=bash
# The pair part of lab_acme.sh (sourced by it, never run alone: lib*.sh is no suite, with the lab up): who orders,
# what crosses the peer channel, an order under a failover. See there.
GW1_LOG=$LAB_RUN/logs/gw-1.log GW2_LOG=$LAB_RUN/logs/gw-2.log

# fingerprint ADDR NAME: SHA-256 of the leaf served through ADDR for NAME
fingerprint() {
  client openssl s_client -connect "$1:443" -servername "$2" </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}
# verifies ADDR NAME: the chain verifies against pebble's root
verifies() {
  client openssl s_client -connect "$1:443" -servername "$2" -CAfile "$LAB_RUN/acme/root.pem" \
    -verify_return_error </dev/null 2>&1 | grep -q "Verify return code: 0 (ok)"
}
# count LOG EVENT NAME: lines of EVENT for NAME
count() { grep -c "$2.* name=$3" "$1" 2>/dev/null; }
# pebble's DNS: NAME -> ADDR for its validations
dns_a() {
  ip netns exec "${P}acme" curl -sf --max-time 3 -d "{\"host\":\"$1\",\"addresses\":[\"$2\"]}" \
    "http://198.18.0.50:8055/add-a" >/dev/null
}
wait_for() { # SECONDS CMD...
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -ge $end ] && return 1
    sleep 0.2
  done
}
# reload_pair: gw-2 first (reloaded, so it knows the new names when gw-1's
# order of them comes), then gw-1
reload_pair() {
  local n
  n=$(grep -c reload_done "$GW2_LOG")
  "$LAB_SH" reload-gw gw-2 &&
    wait_for 20 bash -c "[ \$(grep -c reload_done '$GW2_LOG') -gt $n ]" &&
    "$LAB_SH" reload-gw gw-1
}
both_serve() { # NAME: both VIPs serve the same chain, verified
  verifies "$VIP_A" "$1" && verifies "$VIP_B" "$1" && [ -n "$(fingerprint "$VIP_A" "$1")" ] &&
    [ "$(fingerprint "$VIP_A" "$1")" = "$(fingerprint "$VIP_B" "$1")" ]
}

# ---- (a) one order, the certificate shared --------------------------------------------------------
check_eq "(a) gw-1 (master of vip-a) ordered www.foobar.com once" 1 "$(count "$GW1_LOG" acme_order_started www.foobar.com)"
check_eq "(a) gw-2 made no order of its own" 0 "$(count "$GW2_LOG" acme_order_started www.foobar.com)"
check "(a) gw-2 installed the certificate it got from gw-1 over the peer channel" \
  wait_for 20 grep -q "acme_certificate_installed.* name=www.foobar.com from=peer" "$GW2_LOG"
check_eq "(a) VIP-A is gw-1's, VIP-B gw-2's" "gw-1 gw-2" "$("$LAB_SH" vip-holder "$VIP_A") $("$LAB_SH" vip-holder "$VIP_B")"
if wait_for 20 both_serve www.foobar.com; then
  ok "(a) gw-1 and gw-2 serve the same certificate, verified against pebble's root ($(fingerprint "$VIP_A" www.foobar.com | cut -c1-23)...)"
else
  not_ok "(a) gw-1 and gw-2 serve the same certificate" "$(fingerprint "$VIP_A" www.foobar.com) vs $(fingerprint "$VIP_B" www.foobar.com)"
fi

# ---- (b) HTTP-01 through the follower --------------------------------------------------------------
dns_a api.foobar.com "$VIP_B" || not_ok "(b) pebble's DNS takes api.foobar.com"
export LAB_ACME_NAMES="api.foobar.com"
check "(b) both gateways reload with api.foobar.com" reload_pair
check "(b) gw-2 heard gw-1's token for api.foobar.com" wait_for 40 grep -q "acme_peer_challenge.* name=api.foobar.com" "$GW2_LOG"
check "(b) gw-1 got api.foobar.com, validated by pebble through VIP-B (gw-2 answered)" \
  wait_for 40 grep -q "acme_certificate_issued.* name=api.foobar.com" "$GW1_LOG"
check_eq "(b) gw-2 made no order for it" 0 "$(count "$GW2_LOG" acme_order_started api.foobar.com)"
check "(b) gw-1 told pebble to look only once gw-2's relays served the answer" \
  bash -c "grep -q acme_challenge_served_by_peer '$GW1_LOG' && ! grep -q acme_peer_not_serving '$GW1_LOG'"
if wait_for 30 both_serve api.foobar.com; then ok "(b) both serve the same api.foobar.com, verified"; else
  not_ok "(b) both serve the same api.foobar.com" "$(fingerprint "$VIP_A" api.foobar.com) vs $(fingerprint "$VIP_B" api.foobar.com)"
fi

# ---- (c) an order under a failover -----------------------------------------------------------------
export LAB_ACME_NAMES="api.foobar.com shop.foobar.com" # shop.foobar.com -> VIP-A (pebble's default)
check "(c) both gateways reload with shop.foobar.com" reload_pair
if wait_for 40 grep -q "acme_order_shared.* name=shop.foobar.com" "$GW1_LOG"; then
  acme_pid=$(grep "acme_started" "$GW1_LOG" | tail -n 1 | sed -n 's/.* pid=\([0-9]*\).*/\1/p')
  kill -STOP "$acme_pid" 2>/dev/null # the order stays where it is; gw-1's relay still answers
  ok "(c) gw-1 shared its order of shop.foobar.com; its ACME process ($acme_pid) frozen"
else
  not_ok "(c) gw-1 shared its order of shop.foobar.com"
fi
url=$(grep "acme_order_shared.* name=shop.foobar.com" "$GW1_LOG" | tail -n 1 | sed -n 's/.* url=\([^ ]*\).*/\1/p')
check "(c) gw-2 holds that order ($url)" wait_for 10 grep -q "acme_peer_order.* name=shop.foobar.com url=$url" "$GW2_LOG"
sleep 1 # a validation the challenge started ends (pebble reaches gw-1's relay)
"$LAB_SH" kill-gw gw-1
check "(c) gw-2 takes VIP-A" wait_for 10 bash -c "[ \"\$('$LAB_SH' vip-holder $VIP_A)\" = gw-2 ]"
check "(c) gw-2 resumed the same order" wait_for 20 grep -q "acme_order_resumed.* name=shop.foobar.com url=$url" "$GW2_LOG"
check "(c) gw-2 got the certificate of that order" wait_for 40 grep -q "acme_certificate_issued.* name=shop.foobar.com" "$GW2_LOG"
check_eq "(c) no second order: gw-1 made one, gw-2 none" "1 0" \
  "$(count "$GW1_LOG" acme_order_started shop.foobar.com) $(count "$GW2_LOG" acme_order_started shop.foobar.com)"
check "(c) gw-2 serves it through both VIPs, verified against pebble's root" wait_for 20 both_serve shop.foobar.com
"$LAB_SH" start-gw gw-1 >/dev/null
check "(c) gw-1, started again, installs it from gw-2" \
  wait_for 30 grep -q "acme_certificate_installed.* name=shop.foobar.com from=peer" "$GW1_LOG"
check "(c) gw-1 holds VIP-A again" wait_for 10 bash -c "[ \"\$('$LAB_SH' vip-holder $VIP_A)\" = gw-1 ]"
if wait_for 30 both_serve shop.foobar.com; then ok "(c) both serve the same shop.foobar.com, verified"; else
  not_ok "(c) both serve the same shop.foobar.com" "$(fingerprint "$VIP_A" shop.foobar.com) vs $(fingerprint "$VIP_B" shop.foobar.com)"
fi
check_eq "(c) gw-1 did not order it again after its restart" 1 "$(count "$GW1_LOG" acme_order_started shop.foobar.com)"
for n in www.foobar.com api.foobar.com; do
  check "after the failover both still serve $n, verified" wait_for 20 both_serve "$n"
done
unset LAB_ACME_NAMES
