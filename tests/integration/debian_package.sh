#!/usr/bin/env bash
# `dpkg-buildpackage -b` from the files git knows (a clean checkout: what
# is not committed is not packaged) builds rampart_VERSION_ARCH.deb: the
# programs, units and sysusers entry under /usr, /etc/rampart as
# conffiles, library dependencies from dpkg-shlibdeps, units that run
# /usr/sbin/rampart, a version that is the Makefile's, and a program that
# runs once unpacked. The build is a copy under the test's temp dir (the
# private mbedTLS/llhttp of .deps/ are shared, read-only).
. "$(dirname "$0")/lib.sh"
require_root
command -v dpkg-buildpackage >/dev/null && dpkg -s debhelper >/dev/null 2>&1 ||
  { not_ok "dpkg-buildpackage and debhelper installed (scripts/deps.sh)"; exit 1; }
version=$(sed -n 's/^VERSION := //p' "$RAMPART_ROOT/Makefile")
check_eq "debian/changelog carries the Makefile's version" "$version" \
  "$(cd "$RAMPART_ROOT" && dpkg-parsechangelog -S Version)"

src=$T_TMP/src
mkdir -p "$src"
(cd "$RAMPART_ROOT" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$src" -xf -
ln -s "$(readlink -f "$RAMPART_ROOT/.deps")" "$src/.deps"
arch=$(dpkg --print-architecture)
deb=$T_TMP/rampart_${version}_$arch.deb
if (cd "$src" && dpkg-buildpackage -us -uc -b -j2 >"$T_TMP/build.log" 2>&1) && [ -f "$deb" ]; then
  ok "dpkg-buildpackage -b builds $(basename "$deb")"
else
  not_ok "dpkg-buildpackage -b builds $(basename "$deb")" "$(tail -n 3 "$T_TMP/build.log" | tr '\n' ' ')"
  t_done
  exit
fi

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./||' >"$T_TMP/contents"
for f in usr/sbin/rampart usr/sbin/rampart-fw usr/lib/systemd/system/rampart.service \
  usr/lib/systemd/system/rampart-fw-apply.service usr/lib/sysusers.d/rampart.conf \
  usr/share/man/man8/rampart.8.gz usr/share/man/man5/rampart.ini.5.gz \
  usr/share/doc/rampart/examples/prometheus-rules.yml etc/rampart/rampart.ini etc/rampart/gateway.policy; do
  grep -qx "$f" "$T_TMP/contents" || missing+="$f "
done
check_eq "the package holds the programs, units, manual pages, rules and /etc/rampart" "" "${missing:-}"
check_eq "/etc/rampart is the package's conffiles" "/etc/rampart/gateway.policy /etc/rampart/rampart.ini" \
  "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | sort | tr '\n' ' ' | sed 's/ $//')"
depends=$(dpkg-deb -f "$deb" Depends)
check "Depends: the shared libraries it links (dpkg-shlibdeps)" \
  bash -c "for l in libnftnl11 libmnl0 libinih1 libcap2 libseccomp2 libipsec-mb1 libhogweed6 libgmp10 libsodium23; do grep -q \"\$l\" <<<'$depends' || exit 1; done"
check "postinst makes the relay's user" bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./postinst | grep -q 'systemd-sysusers rampart.conf'"

mkdir -p "$T_TMP/x"
dpkg-deb -x "$deb" "$T_TMP/x"
check "rampart.service runs /usr/sbin/rampart" \
  grep -qx 'ExecStart=/usr/sbin/rampart -c /etc/rampart/rampart.ini' "$T_TMP/x/usr/lib/systemd/system/rampart.service"
check "the packaged rampart runs and says its version" \
  bash -c "'$T_TMP/x/usr/sbin/rampart' --version | grep -q 'Rampart $version\\|rampart $version'"
check "the packaged programs are stripped (symbols in rampart-dbgsym)" \
  bash -c "file '$T_TMP/x/usr/sbin/rampart' | grep -q ', stripped' && test -f '$T_TMP/rampart-dbgsym_${version}_$arch.deb'"
t_done
