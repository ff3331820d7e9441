# tem — root Makefile.
#
#   make            build cli/tem and server/temd
#   make deps       install the Debian packages tem needs (no-op when present)
#   make test       build and run every test; ends with "N passed, N failed"
#   make check      the same tests built with AddressSanitizer + UBSan (in build/san/)
#   make test-pg    the end-to-end tests again with temd's ledger on PostgreSQL, in one
#                   throwaway cluster (tests/README.md); ends with "N passed, N failed"
#   make soak-sigterm  25 rounds of SIGTERM under 16 keep-alive clients (about 15 s)
#   make fuzz       builds the libFuzzer targets (clang, in build/fuzz/) and runs each
#                   FUZZ_SECONDS (default 30) after replaying its regression inputs
#   make valgrind   the unit tests and end-to-end tests with tem and temd under valgrind
#   make bench      benchmarks, each printed as a ratio against the machine's own limit
#   make bench-api  only the regulator reads on the 10-million-scan bench ledger (made once,
#                   kept under build/bench/) and the scan rate against the base commit's temd
#   make screenshots  every buyer page in both languages, shot by headless Chromium
#   make demo       the main job: a demo authority, producer, labels and a running temd
#                   (PORT=N, default 8080)
#   make install    PREFIX=/usr/local DESTDIR= : binaries and man pages (WERROR= drops -Werror)
#   make package-test  the Debian packages built, unpacked in a scratch root and checked
#   make format     clang-format the tree; make format-check fails when it differs
#   make openapi-lint  docs/openapi.yaml linted by @redocly/cli (pinned in tests/openapi/)
#
# B=DIR puts every object and binary under DIR (the sanitizer build uses build/san).

PREFIX ?= /usr/local
PORT ?= 8080
DESTDIR ?=
B ?= .
O := $(if $(filter .,$(B)),,$(B)/)

# What each folder may see (shared/DESIGN.md, "Layout"): its compile flags carry only its own
# libraries' include paths, and tests/layering.sh refuses an include that crosses a layer.
PKGS_KEYS := libsodium
PKGS_LABEL := libsodium libqrencode cairo pangocairo zbar libpng
PKGS_CLI := libsodium libcurl jansson
# libpq: the PostgreSQL engine (server/ledger_pg*.c), behind server/ledger.c's dispatch (TEM_WITH_PG)
PKGS_SERVER := libsodium sqlite3 libmicrohttpd jansson libsystemd libpq
PKGS_TEST := cmocka

PKG_CONFIG ?= pkg-config
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

OPT ?= -O2
# WERROR= builds without -Werror (the Debian package does: a newer compiler's new warning must
# not fail a distribution build)
WERROR ?= -Werror
WARN := -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes -Wformat=2
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
ifeq ($(SAN),1)
OPT := -O1 -g -fno-omit-frame-pointer
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
HARDEN := -fPIE
endif
# make fuzz: every object gets libFuzzer's coverage hooks; only fuzz targets link its main
ifeq ($(FUZZ),1)
OPT := -O1 -g -fno-omit-frame-pointer
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
HARDEN := -fPIE
endif
CFLAGS ?=
LDFLAGS ?=
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DTEM_WITH_PG $(OPT) $(WARN) $(HARDEN) $(SANFLAGS) -pthread -I. -MMD -MP \
	$(call pc_cflags,$(DIR_PKGS)) $(CFLAGS)
ALL_LDFLAGS := -pie -pthread $(SANFLAGS) -Wl,-z,relro,-z,now $(LDFLAGS)

KEYS_SRC := $(sort $(wildcard keys/*.c))
LABEL_SRC := $(sort $(wildcard label/*.c))
CLI_SRC := $(sort $(wildcard cli/*.c))
SERVER_MAIN := server/main.c
SERVER_SRC := $(filter-out $(SERVER_MAIN),$(sort $(wildcard server/*.c)))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
SIM_SRC := $(sort $(wildcard tests/sim/sim_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(O)%.o,$(1))

$(O)keys/%.o: DIR_PKGS := $(PKGS_KEYS)
$(O)label/%.o: DIR_PKGS := $(PKGS_LABEL)
$(O)cli/%.o: DIR_PKGS := $(PKGS_CLI)
$(O)server/%.o: DIR_PKGS := $(PKGS_SERVER)
$(O)tests/%.o: DIR_PKGS := $(PKGS_LABEL) $(PKGS_CLI) $(PKGS_SERVER) $(PKGS_TEST)

LIB_KEYS := $(O)keys/libtemkeys.a
LIB_LABEL := $(O)label/libtemlabel.a
LIB_SERVER := $(O)server/libtemd.a
TEM := $(O)cli/tem
TEMD := $(O)server/temd
UNIT_BINS := $(patsubst %.c,$(O)%,$(UNIT_SRC))
BENCH_BINS := $(patsubst %.c,$(O)%,$(BENCH_SRC))
SIM_BINS := $(patsubst %.c,$(O)%,$(SIM_SRC))
FUZZ_BINS := $(patsubst %.c,$(O)%,$(FUZZ_SRC))
# make test replays the kept crash inputs of each target that has some, with the normal build
FUZZ_REPLAY := $(patsubst tests/fuzz/regressions/%,$(O)tests/fuzz/replay_%, \
	$(sort $(wildcard tests/fuzz/regressions/*)))
FUZZ_SECONDS ?= 30

# tem links label/'s drawing libraries through libtemlabel.a; cli/ itself never includes them.
LIBS_CLI := $(call pc_libs,$(PKGS_LABEL) $(PKGS_CLI)) -lm
# libcsv (the API's CSV quoting, server/csv.c) has no pkg-config file
LIBS_SERVER := $(call pc_libs,$(PKGS_SERVER)) -lcsv -lm
LIBS_ALL := $(call pc_libs,$(PKGS_LABEL) $(PKGS_CLI) $(PKGS_SERVER)) -lcsv -lm

.PHONY: all deps test test-pg check soak-sigterm bench bench-api bench-copy demo install clean format format-check fuzz \
	fuzz-bins valgrind valgrind-bins layering screenshots package-test
# Test and bench objects are kept between runs (make would delete them as intermediates).
.SECONDARY:
# temd is built once server/ has its entry point.
all: layering $(TEM) $(if $(wildcard $(SERVER_MAIN)),$(TEMD))

$(O)%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_KEYS): $(call obj,$(KEYS_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(LIB_LABEL): $(call obj,$(LABEL_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(LIB_SERVER): $(call obj,$(SERVER_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(TEM): $(call obj,$(CLI_SRC)) $(LIB_LABEL) $(LIB_KEYS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_CLI)

# temd links label/ for code parsing only and keys/ for verification only: a static library
# contributes just the objects it references, so no secret-key or drawing code ends up in it.
$(TEMD): $(call obj,$(SERVER_MAIN)) $(LIB_SERVER) $(LIB_LABEL) $(LIB_KEYS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_SERVER)

$(O)tests/unit/test_%: $(O)tests/unit/test_%.o $(LIB_SERVER) $(LIB_LABEL) $(LIB_KEYS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pc_libs,$(PKGS_TEST)) $(LIBS_ALL)

$(O)tests/bench/%: $(O)tests/bench/%.o $(LIB_SERVER) $(LIB_LABEL) $(LIB_KEYS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_ALL)

# simulations (docs/verdicts.md): the real client and ledger code, run by make test
$(O)tests/sim/%: $(O)tests/sim/%.o $(LIB_SERVER) $(LIB_LABEL) $(LIB_KEYS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_ALL)

# fuzz targets (tests/fuzz/README.md): harness.o starts temd in-process for the request targets
$(O)tests/fuzz/fuzz_%: $(O)tests/fuzz/fuzz_%.o $(O)tests/fuzz/harness.o $(LIB_SERVER) $(LIB_LABEL) \
		$(LIB_KEYS)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS_ALL)
$(O)tests/fuzz/replay_%: $(O)tests/fuzz/fuzz_%.o $(O)tests/fuzz/replay.o $(O)tests/fuzz/harness.o \
		$(LIB_SERVER) $(LIB_LABEL) $(LIB_KEYS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_ALL)

layering:
	@sh tests/layering.sh

deps:
	@sh tests/deps.sh

# test, bench and demo first install what is missing, then build in a sub-make (so pkg-config
# flags are read after the install).
test:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(SIM_BINS) $(FUZZ_REPLAY)
	@TEM="$(abspath $(TEM))" TEMD="$(abspath $(TEMD))" BIN="$(abspath $(or $(O),.))" \
		sh tests/run.sh $(UNIT_BINS) $(SIM_BINS) $(FUZZ_REPLAY) \
		$(sort $(wildcard tests/e2e/test_*.sh))

# the end-to-end tests with temd on PostgreSQL (TEM_TEST_DB=pg): tests/run.sh starts one
# throwaway cluster under /tmp for the run and stops it, and keeps to SQLite what is SQLite's
test-pg:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory all
	@TEM_TEST_DB=pg TEM="$(abspath $(TEM))" TEMD="$(abspath $(TEMD))" \
		BIN="$(abspath $(or $(O),.))" sh tests/run.sh $(sort $(wildcard tests/e2e/test_*.sh))

soak-sigterm:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory all
	@TEM="$(abspath $(TEM))" TEMD="$(abspath $(TEMD))" BIN="$(abspath $(or $(O),.))" \
		sh tests/run.sh tests/e2e/soak_sigterm.sh

screenshots:
	@sh tests/deps.sh
	@TEM_DEPS_EXTRA=chromium sh tests/deps.sh
	@$(MAKE) --no-print-directory all
	@TEM="$(abspath $(TEM))" TEMD="$(abspath $(TEMD))" SCREENSHOTS="$(abspath screenshots)" \
		sh tests/run.sh tests/screenshots.sh

check:
	$(MAKE) B=build/san SAN=1 test

fuzz:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory B=build/fuzz FUZZ=1 CC=clang fuzz-bins
	@sh tests/fuzz/run.sh build/fuzz/tests/fuzz $(FUZZ_SECONDS)
fuzz-bins: $(FUZZ_BINS)
valgrind-bins: all $(UNIT_BINS)

valgrind:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory B=build/valgrind OPT="-O1 -g" valgrind-bins
	@B="$(abspath build/valgrind)" sh tests/valgrind.sh $(UNIT_BINS:%=build/valgrind/%) \
		$(sort $(wildcard tests/e2e/test_*.sh))

bench:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@TEM="$(abspath $(TEM))" TEMD="$(abspath $(TEMD))" BIN="$(abspath $(or $(O),.))" \
		sh tests/bench/run.sh

bench-api:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@TEM="$(abspath $(TEM))" TEMD="$(abspath $(TEMD))" BIN="$(abspath $(or $(O),.))" \
		sh tests/bench/bench_api.sh

# temd ledger copy of a 1-million-scan ledger into a throwaway PostgreSQL, interrupted once,
# counts verified, bytes per scan of both engines (tests/bench/bench_copy.sh). Not in make test.
bench-copy:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@TEMD="$(abspath $(TEMD))" BIN="$(abspath $(or $(O),.))" sh tests/bench/bench_copy.sh

demo:
	@sh tests/deps.sh
	@$(MAKE) --no-print-directory all
	@TEM="$(abspath $(TEM))" TEMD="$(abspath $(TEMD))" PORT="$(PORT)" sh tests/demo.sh

# temd is a system daemon: sbin, with its page in section 8 (the Debian package uses PREFIX=/usr)
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(TEM) $(DESTDIR)$(PREFIX)/bin/tem
	install -m 0755 $(TEMD) $(DESTDIR)$(PREFIX)/sbin/temd
	install -m 0644 docs/tem.1 $(DESTDIR)$(PREFIX)/share/man/man1/tem.1
	install -m 0644 docs/temd.8 $(DESTDIR)$(PREFIX)/share/man/man8/temd.8

# The Debian packages built from a copy of the tree (dpkg-buildpackage -b, lintian), unpacked in
# a scratch root and checked; the systemd unit checked by systemd-analyze; temd's sd_notify
# heard on a real socket. Slow (a whole build): not part of make test; .ci/run runs it.
package-test:
	@sh tests/deps.sh
	@TEM_DEPS_EXTRA="debhelper lintian" sh tests/deps.sh
	@$(MAKE) --no-print-directory all
	@TEM="$(abspath $(TEM))" TEMD="$(abspath $(TEMD))" \
		sh tests/run.sh tests/pkg/test_notify.sh tests/pkg/test_package.sh

# docs/openapi.yaml linted by @redocly/cli, the version pinned by tests/openapi/package-lock.json
# (npm ci into tests/openapi/node_modules), with every warning an error (tests/openapi/redocly.yaml).
# tests/e2e/test_openapi.sh, in make test, checks the running temd against the same file.
.PHONY: openapi-lint
openapi-lint:
	@sh tests/deps.sh
	@cd tests/openapi && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && \
		npx --no-install redocly lint --config redocly.yaml --format=stylish ../../docs/openapi.yaml

FORMAT_FILES = $(wildcard keys/*.[ch] label/*.[ch] cli/*.[ch] server/*.[ch] tests/*/*.[ch])
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build
	rm -f keys/*.[oad] label/*.[oad] cli/*.[od] server/*.[oad] tests/*/*.[od] $(TEM) $(TEMD)
	rm -f $(patsubst %.c,%,$(UNIT_SRC) $(BENCH_SRC) $(SIM_SRC) $(FUZZ_SRC)) tests/fuzz/replay_*

-include $(shell find . -name '*.d' -not -path './.git/*' 2>/dev/null)
