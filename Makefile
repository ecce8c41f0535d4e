# auditscope: plain Makefile, dependencies through pkg-config.
#
#   make            build build/auditscope (and the sample generator)
#   make test       the whole suite (unit, CLI end-to-end, real data)
#   make asan       the same suite under AddressSanitizer + UBSan
#   make test-clang the same suite built with clang (-Werror too)
#   make scan       clang's static analyzer over everything built (scan-build
#                   --status-bugs: any report fails)
#   make ci         test, test-clang, scan and asan in turn (what .ci/run runs)
#   make format-check  list the files clang-format (.clang-format) would change
#   make format     reformat them in place
#   make bench      load benchmark: 1M events, both shapes, CSV and JSON Lines, vs sqlite3;
#                   a 10,000-member zip, appending, then queries, hunts, interface,
#                   then bench-big's growth (BENCH_BIG=0 make bench: without it)
#   make bench-big  loads of 1M, 5M and 10M events: growth of time and memory
#   make bench-clickhouse  the same generated events into SQLite and ClickHouse,
#                   side by side (N=1000000 by default: make bench-clickhouse N=10M)
#   make test-chdb  the ClickHouse store's end-to-end tests on a current ClickHouse
#                   (chDB 26.x from npm, ~540 MB into build/chdb the first time,
#                   behind tests/chdb_http.c's HTTP stand-in)
#   make clickhouse start a ClickHouse server on loopback (data in build/clickhouse;
#                   clickhouse/server.sh), make clickhouse-stop stops it
#   make demo       build the sample case and open it
#   make deps       install missing Debian packages (root or sudo) and the IP
#                   databases (npm registry) into geoip/
#   make fuzz       run each libFuzzer target for a short time
#
# Packagers: WERROR= drops -Werror.

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
WERROR  ?= -Werror
OPT     ?= -O2 -g
SAN     ?=
# clang's tools, pinned to the version make deps installs: another
# clang-format version lays some lines out differently
SCAN_BUILD   ?= scan-build-14
CLANG_FORMAT ?= clang-format-14

CORE_PKGS = sqlite3 jansson libpcre2-8 libzstd libcrypto yaml-0.1 libmaxminddb
# Compiled against but not linked: opened when first needed (core/lazylib.c),
# an archive or the ClickHouse store, so that no other command maps them and
# what they pull in (about 7 MB of every command's peak memory). The file
# opened is the SONAME of the library pkg-config finds, read at build time.
LAZY_PKGS = libarchive libcurl
lazy_soname = $(shell objdump -p "$$(pkg-config --variable=libdir $(1) 2>/dev/null)/$(1).so" 2>/dev/null | sed -n 's/^ *SONAME *//p')
LAZY_ARCHIVE_SO := $(call lazy_soname,libarchive)
LAZY_CURL_SO := $(call lazy_soname,libcurl)
LAZY_DEFS = $(if $(LAZY_ARCHIVE_SO),-DLAZYLIB_ARCHIVE_SO='"$(LAZY_ARCHIVE_SO)"') \
            $(if $(LAZY_CURL_SO),-DLAZYLIB_CURL_SO='"$(LAZY_CURL_SO)"')
TUI_PKGS  = ncursesw
TEST_PKGS = cmocka

DEB_PKGS = build-essential pkg-config libsqlite3-dev sqlite3 libjansson-dev \
           libpcre2-dev libarchive-dev libzstd-dev libssl-dev libncurses-dev \
           libcmocka-dev tmux clang libclang-rt-14-dev python3 jq \
           clang-tools-14 clang-format-14 libyaml-dev libmaxminddb-dev \
           libcurl4-openssl-dev clickhouse-server clickhouse-client \
           libarchive-tools

WARN = -std=c11 -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wwrite-strings -Wundef $(WERROR)

PKG_CFLAGS = $(shell pkg-config --cflags $(CORE_PKGS) $(LAZY_PKGS) $(TUI_PKGS) 2>/dev/null)
CORE_LIBS  = $(shell pkg-config --libs $(CORE_PKGS) 2>/dev/null) -ldl -lpthread -lm
TUI_LIBS   = $(shell pkg-config --libs $(TUI_PKGS) 2>/dev/null)
# the tests that write archives call libarchive themselves
TEST_LIBS  = $(shell pkg-config --libs $(TEST_PKGS) libarchive 2>/dev/null)

ALL_CFLAGS = $(WARN) $(OPT) $(SAN) -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 \
             -Icore $(PKG_CFLAGS) $(LAZY_DEFS) $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)

CORE_SRC = $(wildcard core/*.c core/sqlite/*.c core/clickhouse/*.c)
TUI_SRC  = $(wildcard tui/*.c)
CLI_SRC  = $(wildcard tui/cli/*.c)
TEST_SRC = $(wildcard tests/test_*.c)

BENCH_SRC = $(wildcard tests/bench_*.c)

CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o)
TUI_OBJ  = $(TUI_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
# everything of tui/ but main(): linked into the binary and into the
# screen tests and benchmarks that drive views directly
TUI_LIB_OBJ = $(filter-out $(BUILD)/tui/main.o,$(TUI_OBJ))
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_BIN = $(BENCH_SRC:tests/%.c=$(BUILD)/%)

CORE_LIB = $(BUILD)/libauditcore.a
TUI_LIB  = $(BUILD)/libaudittui.a
CLI_LIB  = $(BUILD)/libauditcli.a
BIN      = $(BUILD)/auditscope
GEN      = $(BUILD)/auditgen

.PHONY: clickhouse clickhouse-stop bench-clickhouse test-chdb seam all test check asan test-clang scan format format-check bench bench-big demo deps geoip install clean fuzz unit e2e ci

# The offline IP databases (core/geoip.c), from the npm registry, pinned:
# country (CC0) and autonomous systems (CC-BY-4.0: RouteViews, DB-IP, NRO).
# Unpacked into geoip/ beside the build tree, where build/auditscope looks;
# make install copies them to share/auditscope/geoip. About 38 MB.
GEOIP_DIR = geoip
GEOIP_VERSION = 2.3.2026061719
GEOIP_COUNTRY = @ip-location-db/geo-whois-asn-country-mmdb@$(GEOIP_VERSION)
GEOIP_ASN = @ip-location-db/asn@$(GEOIP_VERSION)
# Country centres and areas for the travel hunt (core/geoplaces.c), ODbL.
GEOIP_COUNTRIES = world-countries@5.1.0

all: $(BIN) $(GEN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(CORE_LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(TUI_LIB): $(TUI_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CLI_LIB): $(CLI_OBJ)
	@rm -f $@
	ar rcs $@ $^

# main() chooses: a command (tui/cli/, no curses) or the interface (tui/).
$(BIN): $(BUILD)/tui/main.o $(CLI_LIB) $(TUI_LIB) $(CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(BUILD)/tui/main.o $(CLI_LIB) $(TUI_LIB) $(CORE_LIB) $(TUI_LIBS) $(CORE_LIBS)

$(GEN): samples/auditgen.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(OPT) $(SAN) -D_DEFAULT_SOURCE $(CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lm

# Unit tests link core only; screen tests (tests/test_tui_*.c) add tui/.
$(BUILD)/tests/test_tui_%: tests/test_tui_%.c $(TUI_LIB) $(CORE_LIB) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d -MT $@ -Itests -Itui -o $@ $< $(TUI_LIB) $(CORE_LIB) $(TUI_LIBS) $(CORE_LIBS) $(TEST_LIBS) $(ALL_LDFLAGS)

$(BUILD)/tests/%: tests/%.c $(CORE_LIB) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d -MT $@ -Itests -o $@ $< $(CORE_LIB) $(CORE_LIBS) $(TEST_LIBS) $(ALL_LDFLAGS)

# Benchmarks are programs that print figures (tests/bench.sh runs them).
$(BUILD)/bench_%: tests/bench_%.c $(TUI_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itui -o $@ $< $(TUI_LIB) $(CORE_LIB) $(TUI_LIBS) $(CORE_LIBS) $(ALL_LDFLAGS)

unit: $(TEST_BIN)

# The HTTP stand-in that runs ClickHouse's requests in chDB (a current
# ClickHouse as a library: tests/chdb_http.c). It opens libchdb.so at run
# time, so it builds (with the suite, so that it keeps building) without.
CHDB_HTTP = $(BUILD)/chdb_http
$(CHDB_HTTP): tests/chdb_http.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(OPT) $(SAN) -D_DEFAULT_SOURCE $(CFLAGS) $(ALL_LDFLAGS) -o $@ $< -ldl -lpthread

test check: seam $(BIN) $(GEN) $(TEST_BIN) $(CHDB_HTTP)
	BUILD=$(BUILD) tests/run.sh

# The storage seam: the storage interface, core/ outside core/sqlite/ and
# all of tui/ (the command line included) compile without sqlite3.h, and
# no file of tui/ (man page included) so much as names sqlite3. Each
# is compiled (syntax only) with tests/seam/ first on the include path,
# whose sqlite3.h stops the build. SEAM_PENDING: files that still hold SQL
# until they read through the interface; the list only shrinks.
SEAM_PENDING =
SEAM_SRC = $(filter-out core/sqlite/% $(SEAM_PENDING),$(CORE_SRC) $(TUI_SRC) $(CLI_SRC))
SEAM_OK  = $(SEAM_SRC:%.c=$(BUILD)/seam/%.ok)

$(BUILD)/seam/%.ok: %.c
	@mkdir -p $(dir $@)
	@$(CC) -Itests/seam $(ALL_CFLAGS) -fsyntax-only -MMD -MP -MF $@.d -MT $@ $< && touch $@

seam: $(SEAM_OK)
	@if grep -rl sqlite3 tui/; then echo "seam: the files above, in tui/, name sqlite3"; exit 1; fi
	@echo "seam: $(words $(SEAM_OK)) files of core/ and tui/ compile without sqlite3.h ($(words $(SEAM_PENDING)) pending); no file of tui/ names sqlite3"

# What CI runs (.ci/run) and the README's second command: the format
# check (a file clang-format-14 would change fails it), the suite built
# with gcc, the same suite built with clang, clang's static analyzer, then
# the suite under AddressSanitizer + UBSan, one after the other.
ci:
	$(MAKE) --no-print-directory format-check
	$(MAKE) --no-print-directory test
	$(MAKE) --no-print-directory test-clang
	$(MAKE) --no-print-directory scan
	$(MAKE) --no-print-directory asan

asan:
	$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test

test-clang:
	$(MAKE) --no-print-directory BUILD=build-clang CC=clang test

# -O0: the analysis does not need optimised objects, and the compiles that
# scan-build runs beside it are quicker. The report stays in build-scan/.
scan:
	rm -rf build-scan
	$(SCAN_BUILD) --status-bugs -o build-scan/report $(MAKE) --no-print-directory BUILD=build-scan OPT="-O0 -g" all unit build-scan/chdb_http $(BENCH_BIN:$(BUILD)/%=build-scan/%)

format-check:
	CLANG_FORMAT=$(CLANG_FORMAT) tests/format.sh --check

format:
	CLANG_FORMAT=$(CLANG_FORMAT) tests/format.sh

bench: $(BIN) $(GEN) $(BENCH_BIN)
	BUILD=$(BUILD) tests/bench.sh

# 1M, 5M and 10M events loaded once each: how time and memory grow (slow:
# about 27 GB of input generated and removed, minutes of loading).
bench-big: $(BIN) $(GEN) $(BUILD)/bench_load $(BUILD)/bench_ridmap
	BUILD=$(BUILD) tests/bench_big.sh

# A ClickHouse server for the ClickHouse store (README: "The ClickHouse
# store"): Debian's clickhouse-server on 127.0.0.1/::1 only, its data
# under the build tree; tests/e2e_clickhouse.sh starts it the same way.
clickhouse:
	CH_DIR=$(BUILD)/clickhouse clickhouse/server.sh start

clickhouse-stop:
	CH_DIR=$(BUILD)/clickhouse clickhouse/server.sh stop

N ?= 1000000
# The same ClickHouse tests on chDB 26.x (tests/chdb_test.sh): npm
# installs the library into CHDB_DIR once, pinned; no registry: a skip.
CHDB_VERSION ?= 26.7.3-stable.1
CHDB_DIR ?= build/chdb
test-chdb: $(BIN) $(GEN) $(CHDB_HTTP) $(BUILD)/tests/test_clickhouse
	BUILD=$(BUILD) CHDB_VERSION=$(CHDB_VERSION) CHDB_DIR=$(CHDB_DIR) tests/chdb_test.sh

bench-clickhouse: $(BIN) $(GEN) $(BUILD)/bench_pages
	BUILD=$(BUILD) N=$(N) tests/bench_clickhouse.sh

demo: $(BIN) $(GEN)
	BUILD=$(BUILD) samples/make-demo.sh
	$(BIN) $(BUILD)/demo.case

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "all build dependencies present"; fi
	@$(MAKE) --no-print-directory geoip

geoip:
	@if [ -f $(GEOIP_DIR)/geo-whois-asn-country.mmdb ] && [ -f $(GEOIP_DIR)/asn-ipv4-num.csv ] \
	   && [ -f $(GEOIP_DIR)/asn-ipv6.csv ] && [ -f $(GEOIP_DIR)/world-countries.json ]; then \
	  echo "IP databases present in $(GEOIP_DIR)/"; \
	else \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  command -v npm >/dev/null || $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; \
	  tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  (cd "$$tmp" && npm pack --silent $(GEOIP_COUNTRY) $(GEOIP_ASN) $(GEOIP_COUNTRIES) >/dev/null) && \
	  mkdir -p "$$tmp/c" "$$tmp/a" "$$tmp/w" $(GEOIP_DIR) && \
	  tar xzf "$$tmp"/world-countries-*.tgz -C "$$tmp/w" && \
	  cp "$$tmp/w/package/dist/countries.json" $(GEOIP_DIR)/world-countries.json && \
	  cp "$$tmp/w/package/package.json" $(GEOIP_DIR)/world-countries.package.json && \
	  cp "$$tmp/w/package/LICENSE" $(GEOIP_DIR)/world-countries.LICENSE && \
	  tar xzf "$$tmp"/ip-location-db-geo-whois-asn-country-mmdb-*.tgz -C "$$tmp/c" && \
	  tar xzf "$$tmp"/ip-location-db-asn-*.tgz -C "$$tmp/a" && \
	  cp "$$tmp/c/package/geo-whois-asn-country.mmdb" $(GEOIP_DIR)/ && \
	  cp "$$tmp/c/package/package.json" $(GEOIP_DIR)/geo-whois-asn-country.package.json && \
	  cp "$$tmp/a/package/asn-ipv4-num.csv" "$$tmp/a/package/asn-ipv6.csv" $(GEOIP_DIR)/ && \
	  cp "$$tmp/a/package/package.json" $(GEOIP_DIR)/asn.package.json && \
	  for f in DBIP-LICENSE ROUTEVIEWS-LICENSE NRO_LICENSE MODIFICATIONS; do \
	    cp "$$tmp/a/package/$$f" $(GEOIP_DIR)/asn.$$f; done && \
	  echo "IP databases $(GEOIP_VERSION) installed in $(GEOIP_DIR)/ ($$(du -sh $(GEOIP_DIR) | cut -f1))"; \
	fi

fuzz:
	tests/fuzz.sh

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/auditscope/themes \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/auditscope
	install -m 644 tui/cli/auditscope.1 $(DESTDIR)$(PREFIX)/share/man/man1/auditscope.1
	install -m 644 tui/cli/auditscope.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/auditscope
	install -m 644 themes/* $(DESTDIR)$(PREFIX)/share/auditscope/themes/ 2>/dev/null || true
	if [ -d $(GEOIP_DIR) ]; then install -d $(DESTDIR)$(PREFIX)/share/auditscope/geoip && \
	  install -m 644 $(GEOIP_DIR)/* $(DESTDIR)$(PREFIX)/share/auditscope/geoip/; fi

clean:
	rm -rf build build-asan build-fuzz build-clang build-scan

# (a test's own includes too: test_json_scan_sse2.c is test_json_scan.c's
# tests built again, and was not rebuilt when they changed)
-include $(CORE_OBJ:.o=.d) $(TUI_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SEAM_OK:=.d) $(TEST_BIN:=.d)
