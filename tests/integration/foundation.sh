#!/usr/bin/env bash
# The foundation's promises: hardened binaries (PIE, full RELRO, stack
# protector, FORTIFY), mbedTLS 3.6 linked statically, `--version`, config
# check exit codes, and a dependency step that downloads nothing when
# everything is present and says FAILED only when something failed.
. "$(dirname "$0")/lib.sh"

for prog in rampart rampart-fw; do
  bin=$RAMPART_BUILD/$prog
  check "$prog is PIE" bash -c "readelf -h '$bin' | grep -q 'Type:.*DYN'"
  check "$prog has RELRO" bash -c "readelf -l '$bin' | grep -q GNU_RELRO"
  check "$prog binds now (full RELRO)" bash -c "readelf -d '$bin' | grep -Eq 'BIND_NOW|FLAGS_1.*NOW'"
  check "$prog has a non-executable stack" bash -c "readelf -lW '$bin' | grep GNU_STACK | grep -qv 'RWE'"
  check "$prog links no shared mbedTLS" bash -c "! ldd '$bin' | grep -qi mbed"
done
bin=$RAMPART_BUILD/rampart
check "rampart has the stack protector" bash -c "nm -D '$bin' | grep -q __stack_chk_fail"
if sanitized_build; then
  note "sanitizer build: FORTIFY is off by design (ASan replaces it); checked in the release build"
else
  check "rampart is FORTIFY-built" bash -c "nm -D '$bin' | grep -Eq '__[a-z_]+_chk@'"
fi
check "rampart carries mbedTLS statically" bash -c "nm '$bin' | grep -q ' T mbedtls_version_get_string'"
check "rampart --version names mbedTLS 3.6 and llhttp 9" bash -c \
  "'$bin' --version | grep -q '^  mbedTLS 3\.6\.' && '$bin' --version | grep -q '^  llhttp 9\.'"

cd "$RAMPART_ROOT" || exit 1
check_fails "rampart -t refuses a missing file" "$bin" -t -c /nonexistent.ini
out=$("$bin" -t -c /nonexistent.ini 2>&1)
check_eq "rampart -t names the file" "/nonexistent.ini: cannot open: No such file or directory" "$out"

# deps.sh with everything present must not touch the network: point every
# proxy at a closed port; any download attempt would then fail.
# A fresh machine lacks packages: the check for them must name them and say
# nothing else (it once printed 'FAILED at step "apt-packages"' because
# dpkg-query exits 1 for a package it does not know, inside the check).
out=$(scripts/deps.sh --missing bash rampart-no-such-package 2>&1)
rc=$?
check_eq "deps.sh --missing names only the package that is not installed" \
  "rampart-no-such-package" "$out"
check_eq "deps.sh --missing exits 0 when a package is missing" 0 "$rc"
check_eq "deps.sh --missing prints nothing when all are installed" "" "$(scripts/deps.sh --missing bash coreutils 2>&1)"

check "deps.sh second run downloads nothing" env http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
  scripts/deps.sh --quiet

t_done
