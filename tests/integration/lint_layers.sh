#!/usr/bin/env bash
# The dependency rule is enforced: scripts/check-layers.py passes on the
# tree as it is, and names the file, the line and the rule when a lower
# layer includes a higher one or an owner rule is broken.
. "$(dirname "$0")/lib.sh"
cd "$RAMPART_ROOT" || exit 1
check "the tree keeps the layer rule" python3 scripts/check-layers.py
# the build's objects: no two files call each other (but the one state machine)
mapfile -t objs < <(git ls-files 'common/*.c' 'gateway/*.c' 'tls/*.c' 'firewall/*.c' |
  grep -v -e '^gateway/main.c$' -e '^firewall/cli.c$' | sed "s|^|$RAMPART_BUILD/obj/|; s|\.c\$|.o|")
check "no file-level call cycles in the build" python3 scripts/check-layers.py "${objs[@]}"

# a copy of the sources with one violation each
copy=$T_TMP/tree
mkdir -p "$copy"
cp -r common tls firewall gateway "$copy"/
sed -i '1i #include "gateway/proc/parent.h"' "$copy/common/parse.c"
sed -i '1i #include <mbedtls/ssl.h>' "$copy/gateway/http/http_rules.c"
sed -i '1i #include "firewall/firewall.h"' "$copy/gateway/proc/relay.c"
sed -i '1i #include "gateway/proxy/worker.h"' "$copy/gateway/upstream/backend.c"
out=$(python3 scripts/check-layers.py --root "$copy" 2>&1)
rc=$?
check_eq "a broken rule fails lint" 1 "$rc"
check "common/ including gateway/proc/ is named with file and line" \
  grep -q '^common/parse.c:1: includes gateway/proc/parent.h: common/ (layer 0) may not include gateway/proc/' <<<"$out"
check "mbedTLS outside tls/ is refused" \
  grep -q '^gateway/http/http_rules.c:1: includes mbedtls/ssl.h: only tls/ includes mbedTLS headers' <<<"$out"
check "firewall/ outside parent_firewall.c is refused" \
  grep -q '^gateway/proc/relay.c:1: includes firewall/firewall.h: in the daemon only gateway/proc/parent_firewall.c' <<<"$out"
check "a same-layer include across folders is refused" \
  grep -q '^gateway/upstream/backend.c:1: includes gateway/proxy/worker.h: gateway/upstream/ (layer 3) may not include gateway/proxy/ (layer 5)' <<<"$out"
t_done
