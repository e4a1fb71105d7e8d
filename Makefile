# Rampart build. `make` builds the two programs; see README.md for the rest.
#
# Sources are found by folder, so a new file needs no Makefile change:
#   common/ gateway/*/ tls/ firewall/ -> build/librampart.a (everything but mains)
#   gateway/main.c                   -> build/rampart
#   firewall/cli.c                   -> build/rampart-fw
#   tests/unit/test_*.c              -> build/tests/test_*  (cmocka)
#   tests/fuzz/fuzz_*.c              -> build-fuzz/fuzz/fuzz_*   (libFuzzer, `make fuzz`)
#
# A unit test is named after the file it tests: test_X.c tests X.c, with
# fw_ in front for firewall/ files (their names, status.c or diff.c, would
# collide with others): test_fw_compile.c -> firewall/compile.c,
# test_vrrp.c -> gateway/ha/vrrp.c. A module of two files is tested under
# the name of the one whose API the test drives (test_fw_policy_parse.c:
# policy_parse.c + policy_values.c). Helpers several tests share live in
# tests/unit/helpers/*.c (each with its .h), linked into every unit test.

BUILD   ?= build
DEPS    ?= .deps
VERSION := 0.1.0

MBEDTLS := $(DEPS)/mbedtls
LLHTTP  := $(DEPS)/llhttp
DEPS_STAMP := $(DEPS)/.ready

CC      ?= cc
OPT     ?= -O2 -g
HARDEN  ?= -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection -fcf-protection
CFLAGS  := -std=c11 $(OPT) -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla \
           -D_GNU_SOURCE -DRAMPART_VERSION=\"$(VERSION)\" $(HARDEN) -fPIE \
           -DMBEDTLS_CONFIG_FILE='"tls/mbedtls_config.h"' \
           -I. -isystem $(MBEDTLS)/include -isystem $(LLHTTP)/include \
           $(shell pkg-config --cflags libnftnl libmnl inih libnghttp2 2>/dev/null) $(EXTRA_CFLAGS)
# Session tickets stamped and checked by the wall clock, which both gateways
# of a pair share, not by the time since this machine booted (tls/tls_time.c).
MS_TIME_WRAP := -Wl,--wrap=mbedtls_ms_time -Wl,-u,__wrap_mbedtls_ms_time
LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack $(MS_TIME_WRAP) $(EXTRA_LDFLAGS)
# mbedTLS calls back into tls/'s PSA drivers (tls/tls_drv.h, in
# librampart.a), which call intel-ipsec-mb, nettle (+ GMP) and libsodium:
# librampart.a and mbedTLS are one link group. $(call LINK_LIBS,librampart.a)
MBEDTLS_LIBS := $(MBEDTLS)/lib/libmbedtls.a $(MBEDTLS)/lib/libmbedx509.a $(MBEDTLS)/lib/libmbedcrypto.a
CRYPTO_LIBS  := -lIPSec_MB -lhogweed -lnettle -lgmp -lsodium
LINK_LIBS = -Wl,--start-group $(1) $(MBEDTLS_LIBS) -Wl,--end-group $(CRYPTO_LIBS) $(LLHTTP)/lib/libllhttp.a \
            $(shell pkg-config --libs libnftnl libmnl inih libnghttp2 2>/dev/null) -lcap -lseccomp -lpthread \
            $(shell pkg-config --libs libcurl jansson 2>/dev/null)
LDLIBS  = $(call LINK_LIBS,$(BUILD)/librampart.a)

MAINS    := gateway/main.c firewall/cli.c
LIB_SRC  := $(filter-out $(MAINS),$(sort $(wildcard common/*.c gateway/*.c gateway/*/*.c tls/*.c firewall/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC := $(sort $(wildcard tests/unit/helpers/*.c))
HELPER_OBJ := $(HELPER_SRC:%.c=$(BUILD)/obj/%.o)
PROGRAMS := $(BUILD)/rampart $(BUILD)/rampart-fw

.PHONY: all deps test unit integration asan fuzz format lint clean demo demo-down bench bench-bin install uninstall
.DEFAULT_GOAL := all

all: $(DEPS_STAMP) $(PROGRAMS)

# deps.sh is idempotent and fast when everything is present; the stamp keeps
# `make` from even starting it when nothing changed.
deps $(DEPS_STAMP): scripts/deps.sh tls/mbedtls_config.h tls/mbedtls-drivers.patch tls/tls_drv.h
	@scripts/deps.sh
	@touch $(DEPS_STAMP)

# mbedTLS's headers are -isystem, which -MMD does not list: an object is
# rebuilt when mbedTLS is (a new config or driver patch changes its structs).
MBEDTLS_BUILT := $(MBEDTLS)/lib/libmbedcrypto.a
$(MBEDTLS_BUILT): | $(DEPS_STAMP)

$(BUILD)/obj/%.o: %.c Makefile $(MBEDTLS_BUILT) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/librampart.a: $(LIB_OBJ)
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/rampart: $(BUILD)/obj/gateway/main.o $(BUILD)/librampart.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/rampart-fw: $(BUILD)/obj/firewall/cli.o $(BUILD)/librampart.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(HELPER_OBJ) $(BUILD)/librampart.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

unit: all $(UNIT_BIN)

# Benchmark programs (bench/README.md): linked like the daemon.
BENCH_BIN := $(BUILD)/bench/crypto_speed $(BUILD)/bench/tls_server $(BUILD)/bench/keyholder_speed
bench-bin: $(BENCH_BIN)
$(BUILD)/bench/%: bench/%.c $(BUILD)/librampart.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The README's test command. Installs what is missing, builds, then runs the
# unit tests and the integration tests and prints "N passed, N failed".
test:
	@scripts/deps.sh && touch $(DEPS_STAMP)
	@$(MAKE) --no-print-directory unit
	@scripts/run-tests.sh $(BUILD)

# Unit and integration tests again, built with AddressSanitizer + UBSan.
asan: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory BUILD=build-asan \
	  OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  HARDEN="-fstack-protector-strong" EXTRA_LDFLAGS="-fsanitize=address,undefined" unit
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  scripts/run-tests.sh build-asan

# A fuzz target tests/fuzz/fuzz_NAME.c is linked with its own parts,
# tests/fuzz/NAME_*.c, and, when it or a part includes tests/unit/helpers/,
# with the unit tests' helpers too (built for the fuzzer; with cmocka,
# which conn_expect.c uses, and OpenSSL, fuzz_conn's TLS client).
# The driver and its parts are the test, not the code under test: they
# keep coverage counters but no comparison tracing (-fno-sanitize-coverage=
# trace-cmp), which cost fuzz_conn 13 % of its executions (tests/fuzz/README.md).
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_HELPERS := $(HELPER_SRC:%.c=build-fuzz/obj/%.o) -lcmocka -lssl -lcrypto
fuzz: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
	  OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" HARDEN="" \
	  EXTRA_CFLAGS="-Wno-missing-field-initializers" \
	  build-fuzz/librampart.a $(HELPER_SRC:%.c=build-fuzz/obj/%.o)
	@mkdir -p build-fuzz/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); echo "  FUZZ    build-fuzz/fuzz/$$n"; \
	  parts=$$(ls tests/fuzz/$${n#fuzz_}_*.c 2>/dev/null); helpers=; \
	  if grep -q '"tests/unit/helpers/' $$f $$parts; then helpers="$(FUZZ_HELPERS)"; fi; \
	  clang $(filter-out $(OPT) $(HARDEN) -Werror,$(CFLAGS)) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-sanitize-coverage=trace-cmp \
	    -Wno-missing-field-initializers $(MS_TIME_WRAP) \
	    -o build-fuzz/fuzz/$$n $$f $$parts $$helpers $(call LINK_LIBS,build-fuzz/librampart.a) || exit 1; done

format:
	@clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^tls/mbedtls_config.h$$')

# cppcheck, then the dependency rule of ARCHITECTURE.md (includes by layer,
# no file-level call cycles; scripts/check-layers.py says what it checks).
lint: all
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	  --std=c11 --inline-suppr -I. -D_GNU_SOURCE --suppress=missingIncludeSystem --suppress=varFuncNullUB \
	  common gateway tls firewall
	@echo "lint: cppcheck clean"
	@python3 scripts/check-layers.py $(LIB_OBJ)

demo:
	@scripts/deps.sh && touch $(DEPS_STAMP)
	@$(MAKE) --no-print-directory all
	@if [ -x lab/demo.sh ]; then lab/demo.sh; else echo "make demo: not yet - the foobar.com lab lands with the lab issue"; fi

demo-down:
	@if [ -x lab/lab.sh ]; then lab/lab.sh down; else echo "make demo-down: nothing to remove"; fi

bench: all
	@if [ -x bench/run.sh ]; then bench/run.sh; else echo "make bench: not yet"; fi

clean:
	rm -rf $(BUILD) build-asan build-fuzz

# ---- install ---------------------------------------------------------------
# `make install` (as root) puts Rampart where an operator expects it, the
# Debian way: programs in $(PREFIX)/sbin, manual pages, systemd units and a
# sysusers.d entry for the relay's user under $(PREFIX)/lib, the reference
# config, policies and alerting rules under $(DOCDIR), and a starting
# configuration in $(SYSCONFDIR)/rampart/ -- where the daemon looks by
# default, so /etc whatever the PREFIX -- only where none exists yet: an
# operator's edited files are never overwritten. DESTDIR stages into a tree
# (packaging, tests/integration/install.sh); nothing is started or enabled.
# `make uninstall` removes what install put outside $(SYSCONFDIR).
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/rampart
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR  ?= /etc
UNITS       := rampart.service rampart-fw-apply.service
ETC_FILES   := examples/rampart.ini:rampart.ini policies/gateway.policy:gateway.policy

install: $(PROGRAMS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR)/examples \
	  $(DESTDIR)$(DOCDIR)/policies/examples
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/rampart
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(SBINDIR)/
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	@for u in $(UNITS); do echo "  UNIT    $(DESTDIR)$(UNITDIR)/$$u"; \
	  sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' dist/systemd/$$u.in \
	    >$(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	install -m 0644 dist/sysusers/rampart.conf $(DESTDIR)$(SYSUSERSDIR)/rampart.conf
	install -m 0644 README.md SECURITY.md ARCHITECTURE.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 examples/* $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 policies/*.policy $(DESTDIR)$(DOCDIR)/policies/
	install -m 0644 policies/examples/*.policy $(DESTDIR)$(DOCDIR)/policies/examples/
	@for pair in $(ETC_FILES); do src=$${pair%%:*} dst=$(DESTDIR)$(SYSCONFDIR)/rampart/$${pair#*:}; \
	  if [ -e "$$dst" ]; then echo "  KEEP    $$dst (exists)"; \
	  else echo "  ETC     $$dst"; install -m 0644 "$$src" "$$dst" || exit 1; fi; done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,rampart rampart-fw) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5))) \
	  $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard man/*.8))) \
	  $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) $(DESTDIR)$(SYSUSERSDIR)/rampart.conf
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "uninstall: $(DESTDIR)$(SYSCONFDIR)/rampart/ kept (your configuration)"

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
.SECONDARY:
