#!/usr/bin/env bash
# Installs everything Rampart needs to build, test and run its lab, then
# builds the two libraries Debian 12 does not carry (mbedTLS 3.6 LTS and
# llhttp >= 9) from Debian 13 ("trixie") through a private apt setup under
# .deps/apt. The system's /etc/apt is never changed. mbedTLS is patched with
# tls/mbedtls-drivers.patch (the dispatch to Rampart's PSA drivers, tls/tls_drv.h).
#
# Idempotent: a stamp per step records what is done; a second run with
# everything present reads a few files and exits (no network, < 2 s).
#
# Usage: scripts/deps.sh [--quiet]
#        scripts/deps.sh --missing [PACKAGE...]   prints which of the Debian
#          packages (default: the list below) are not installed; changes nothing
set -Eeuo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPS=${RAMPART_DEPS_DIR:-$ROOT/.deps}
MBEDTLS_SERIES=3.6   # the LTS branch; Debian 13 carries 3.6.x
TRIXIE_SUITE=trixie
QUIET=${1:-}

APT_PACKAGES=(
  build-essential pkg-config cmake python3 bzip2 xz-utils dpkg-dev file binutils
  libnftnl-dev libmnl-dev libinih-dev libcmocka-dev libcap-dev libseccomp-dev
  nftables iproute2 iputils-ping procps psmisc util-linux libcap2-bin
  nginx-light curl openssl ca-certificates
  libnghttp2-dev nghttp2-client python3-h2 python3-hyperframe
  mariadb-server mariadb-client php-fpm php-mysql
  keepalived haproxy wrk prometheus chromium bird2
  clang libclang-rt-dev clang-format clang-tidy cppcheck strace linux-perf patch
  systemd debhelper
  libipsec-mb-dev nettle-dev libgmp-dev libsodium-dev python3-cryptography-vectors python3-cryptography
  libssl-dev
)

say() { [ "$QUIET" = "--quiet" ] || printf 'deps: %s\n' "$*"; }
fail() { printf 'deps: FAILED at step "%s": %s\n' "$STEP" "$*" >&2; exit 1; }
trap 'fail "command failed (line $LINENO)"' ERR

# missing_packages PACKAGE...: prints those not installed, one per line.
# One dpkg-query for all of them (a call per package costs seconds). It
# exits 1 when any package is unknown to dpkg, which is the very case asked
# about, not a failure: its status is read here, so the ERR trap (inherited
# by the pipeline's subshells through set -E) does not report it.
missing_packages() {
  local status p
  status=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null || true)
  for p in "$@"; do
    grep -Fqx "$p install ok installed" <<<"$status" || echo "$p"
  done
}

if [ "$QUIET" = "--missing" ]; then
  STEP=missing
  shift
  [ $# -gt 0 ] || set -- "${APT_PACKAGES[@]}"
  missing_packages "$@"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || { STEP=check-root; fail "run as root (apt-get and network namespaces need it)"; }

# --- 1. Debian packages --------------------------------------------------
STEP=apt-packages
missing_out=$(missing_packages "${APT_PACKAGES[@]}")
mapfile -t missing <<<"$missing_out"
[ -n "$missing_out" ] || missing=()
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq || fail "apt-get update failed (is the Debian mirror reachable?)"
  # Runlevel 1 (only K links in /etc/rc1.d): the packages' init scripts
  # (invoke-rc.d) do not start system nginx, haproxy, keepalived, MariaDB,
  # BIRD or php-fpm; tests and the lab start their own in namespaces, with
  # their own datadirs, configs, sockets, PID files and ports. Where systemd
  # runs, deb-systemd-invoke may still start the system MariaDB (127.0.0.1
  # and /run/mysqld) or BIRD (/etc/bird/bird.conf, /run/bird) in the root
  # namespace, which the lab never uses, so they are left alone (never
  # stopped by us).
  RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
else
  say "Debian packages: all ${#APT_PACKAGES[@]} present"
fi

# --- 2. private apt view of Debian 13 (sources and .debs only) -----------
STEP=private-apt
APTDIR=$DEPS/apt
APT_OPTS=(
  -o "Dir::State=$APTDIR/state" -o "Dir::State::Lists=$APTDIR/state/lists"
  -o "Dir::State::status=/var/lib/dpkg/status" -o "Dir::Cache=$APTDIR/cache"
  -o "Dir::Etc::SourceList=$APTDIR/sources.list"
  -o "Dir::Etc::SourceParts=$APTDIR/sources.list.d"
  -o "Dir::Etc::Preferences=$APTDIR/preferences"
  -o "Dir::Etc::PreferencesParts=$APTDIR/preferences.d"
  -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1"
)
private_apt_update() {
  [ -f "$APTDIR/.updated" ] && return 0
  say "private apt: reading Debian $TRIXIE_SUITE index into $APTDIR"
  mkdir -p "$APTDIR"/{state/lists/partial,cache/archives/partial,sources.list.d,preferences.d}
  : >"$APTDIR/preferences"
  local key=/usr/share/keyrings/debian-archive-keyring.gpg
  local mirror
  mirror=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -n1 | tr -d " " || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  cat >"$APTDIR/sources.list" <<SRC
deb [signed-by=$key] $mirror $TRIXIE_SUITE main
deb-src [signed-by=$key] $mirror $TRIXIE_SUITE main
SRC
  apt-get "${APT_OPTS[@]}" update -qq || fail "apt-get update of the private $TRIXIE_SUITE index failed"
  touch "$APTDIR/.updated"
}

# --- 3. mbedTLS 3.6 LTS, static, with tls/mbedtls_config.h ---------------
# The build depends on the config, the driver patch and the driver header
# the patched wrappers include: the stamp is the hash of all three.
STEP=mbedtls
MBED_PREFIX=$DEPS/mbedtls
MBED_INPUTS=("$ROOT/tls/mbedtls_config.h" "$ROOT/tls/mbedtls-drivers.patch" "$ROOT/tls/tls_drv.h")
MBED_STAMP=$MBED_PREFIX/.built-$(cat "${MBED_INPUTS[@]}" | sha256sum | cut -c1-16)
if [ ! -f "$MBED_STAMP" ]; then
  private_apt_update
  src=$DEPS/src/mbedtls
  mkdir -p "$src"
  tarball=$(ls "$src"/mbedtls_"$MBEDTLS_SERIES".*.orig.tar.* 2>/dev/null | head -n1 || true)
  if [ -z "$tarball" ]; then
    say "mbedTLS: fetching Debian's source package mbedtls ($TRIXIE_SUITE)"
    (cd "$src" && apt-get "${APT_OPTS[@]}" source --download-only -qq mbedtls >/dev/null) \
      || fail "apt-get source mbedtls failed"
    tarball=$(ls "$src"/mbedtls_"$MBEDTLS_SERIES".*.orig.tar.* 2>/dev/null | head -n1 || true)
    [ -n "$tarball" ] || fail "Debian's mbedtls source is not from the $MBEDTLS_SERIES LTS series: $(ls "$src")"
  fi
  MBEDTLS_VERSION=$(basename "$tarball" | sed -E 's/^mbedtls_([0-9.]+)\.orig.*/\1/')
  # The upstream tarball inside the source package, without Debian's
  # patches (which delete 3rdparty/): tls/mbedtls-drivers.patch is made
  # against upstream's files.
  say "mbedTLS: building $MBEDTLS_VERSION with tls/mbedtls_config.h (takes a minute)"
  rm -rf "$src/tree" "$src/build"
  mkdir -p "$src/tree"
  tar -xf "$tarball" -C "$src/tree" --strip-components=1
  patch -s -p1 -d "$src/tree" <"$ROOT/tls/mbedtls-drivers.patch" \
    || fail "tls/mbedtls-drivers.patch does not apply to mbedTLS $MBEDTLS_VERSION"
  # -I$ROOT: the patched driver wrappers include tls/tls_drv.h. No programs:
  # they would need Rampart's drivers to link (bench/crypto_speed.c is the
  # benchmark, through PSA and the drivers).
  cmake -S "$src/tree" -B "$src/build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$MBED_PREFIX" \
    -DMBEDTLS_CONFIG_FILE="$ROOT/tls/mbedtls_config.h" \
    -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
    -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DMBEDTLS_FATAL_WARNINGS=OFF \
    -DCMAKE_C_FLAGS="-O2 -fPIE -fstack-protector-strong -D_FORTIFY_SOURCE=3 -I$ROOT" >"$src/cmake.log" 2>&1 \
    || fail "cmake configure failed, see $src/cmake.log"
  rm -rf "$MBED_PREFIX"/include "$MBED_PREFIX"/lib "$MBED_PREFIX"/bin
  cmake --build "$src/build" -j"$(nproc)" --target install >"$src/build.log" 2>&1 \
    || fail "mbedTLS build failed, see $src/build.log"
  echo "$MBEDTLS_VERSION" >"$MBED_PREFIX/VERSION"
  rm -f "$MBED_PREFIX"/.built-*
  touch "$MBED_STAMP"
  say "mbedTLS: installed in $MBED_PREFIX"
else
  say "mbedTLS $(cat "$MBED_PREFIX/VERSION"): present"
fi
# The installed headers must describe the library as built: our config, not
# mbedTLS's default one (struct layouts depend on it).
cmp -s "$ROOT/tls/mbedtls_config.h" "$MBED_PREFIX/include/mbedtls/mbedtls_config.h" ||
  cp "$ROOT/tls/mbedtls_config.h" "$MBED_PREFIX/include/mbedtls/mbedtls_config.h"

# --- 4. llhttp >= 9 (static library from Debian 13's libllhttp-dev) -------
STEP=llhttp
LLHTTP_PREFIX=$DEPS/llhttp
if [ ! -f "$LLHTTP_PREFIX/lib/libllhttp.a" ]; then
  private_apt_update
  dl=$DEPS/src/llhttp
  mkdir -p "$dl"
  say "llhttp: fetching libllhttp-dev from Debian $TRIXIE_SUITE"
  (cd "$dl" && rm -f ./*.deb && apt-get "${APT_OPTS[@]}" download -qq libllhttp-dev >/dev/null) \
    || fail "apt-get download libllhttp-dev failed"
  rm -rf "$dl/x" && dpkg-deb -x "$dl"/libllhttp-dev_*.deb "$dl/x"
  mkdir -p "$LLHTTP_PREFIX/include" "$LLHTTP_PREFIX/lib"
  cp "$dl/x/usr/include/llhttp.h" "$LLHTTP_PREFIX/include/"
  cp "$dl"/x/usr/lib/*/libllhttp.a "$LLHTTP_PREFIX/lib/"
  major=$(awk '/#define LLHTTP_VERSION_MAJOR/{print $3}' "$LLHTTP_PREFIX/include/llhttp.h")
  [ "${major:-0}" -ge 9 ] || fail "llhttp major version $major < 9"
  say "llhttp: installed $(awk '/#define LLHTTP_VERSION_(MAJOR|MINOR|PATCH)/{printf "%s.",$3}' "$LLHTTP_PREFIX/include/llhttp.h" | sed 's/\.$//') in $LLHTTP_PREFIX"
else
  say "llhttp: present"
fi

# --- 5. the relay's and the key holder's users ------------------------------
# A dedicated system user for the unprivileged relay process (the default
# [gateway] user): shared "nobody" would let other daemons signal Rampart.
# And one for the key holder ([gateway] keyholder_user), which shares no
# uid with the relay (gateway/proc/sandbox.h).
STEP=user
for u in rampart:relay rampart-keys:"key holder"; do
  name=${u%%:*}
  if ! id -u "$name" >/dev/null 2>&1; then
    say "creating system user '$name' for the ${u#*:} process"
    useradd --system --no-create-home --shell /usr/sbin/nologin "$name" || fail "useradd $name failed"
  fi
done

STEP=done
say "all dependencies present"
