# airsup - the one build.  make, make check, make run, make bench, make install.
# SAN=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer into
# build/asan; `make check` runs every test in both builds.

VERSION  = 0.1.0
# Where make install puts things.  SYSCONFDIR is /etc whatever PREFIX is
# (as systemd's and most daemons' installs do, and as distributions that
# build with PREFIX=/usr expect); airsupd's default -c is under it.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
DESTDIR    ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
PKGS     = libsystemd libbsd json-c libmicrohttpd

ifeq ($(SAN),1)
BUILD   ?= build/asan
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD   ?= build
endif

WARN     = -std=gnu17 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wimplicit-fallthrough -Werror
# Recursive (=) on purpose: pkg-config runs only once deps.sh made sure it is there.
XCFLAGS  = -DAIRSUP_VERSION=\"$(VERSION)\" $(WARN) $(CFLAGS) $(SANFLAGS) -I. $(shell pkg-config --cflags $(PKGS))
XLDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS     = $(shell pkg-config --libs $(PKGS))
# airsupd dlopen()s libmicrohttpd when metrics_listen = asks for it
# (metrics-http.c): linked, its GnuTLS would cost every airsupd 2.5 MB.
AIRSUPD_LIBS = $(shell pkg-config --libs $(filter-out libmicrohttpd,$(PKGS)))

SUP_SRC  = supervisor/config/cfg.c supervisor/config/cfg-value.c common/policy.c common/time.c \
           supervisor/core/event.c supervisor/output/errout.c supervisor/start/spawn.c supervisor/core/proc.c supervisor/watch/notify-parse.c \
           supervisor/watch/notify.c supervisor/start/helper.c supervisor/start/closer.c supervisor/start/spawner.c supervisor/core/state.c supervisor/config/verify.c supervisor/output/logsink.c supervisor/output/tail.c supervisor/operator/control.c \
           supervisor/operator/control-methods.c supervisor/operator/control-verbs.c supervisor/operator/control-messages.c supervisor/operator/control-events.c \
           supervisor/operator/control-reply.c supervisor/operator/control-lookup.c \
           supervisor/operator/proc-query.c supervisor/operator/metrics.c supervisor/operator/metrics-http.c \
           supervisor/core/sup.c supervisor/core/runq.c supervisor/core/manager.c supervisor/core/iomux.c supervisor/core/memory.c supervisor/core/state-list.c supervisor/core/names.c supervisor/core/verbs.c supervisor/core/tree-edit.c supervisor/start/fdlimit.c supervisor/messages/broker.c supervisor/messages/broker-actors.c supervisor/messages/broker-ctl.c supervisor/messages/registry.c supervisor/messages/interest.c supervisor/messages/inbox.c supervisor/start/cgroup.c supervisor/start/cgroup-tree.c supervisor/watch/probe.c supervisor/config/reload-plan.c supervisor/config/reload.c common/fds.c common/channel.c common/actor-table.c common/actor-addr.c common/subject.c
# The configuration's loader, in the order of its passes (cfg.c drives them).
CFG_SRC  = supervisor/config/cfg.c supervisor/config/cfg-read.c supervisor/config/cfg-keys.c supervisor/config/cfg-load.c supervisor/config/cfg-value.c common/subject.c
SUP_SRC += supervisor/config/cfg-read.c supervisor/config/cfg-keys.c supervisor/config/cfg-load.c
SUP_OBJ  = $(SUP_SRC:%.c=$(BUILD)/%.o) $(SHM_SRC:%.c=$(BUILD)/%.o)
SHM_SRC  = shm/lane.c shm/mailbox.c
SHM_OBJ  = $(SHM_SRC:%.c=$(BUILD)/%.o)
UNIT     = $(BUILD)/tests/test-cfg $(BUILD)/tests/test-policy $(BUILD)/tests/test-notify $(BUILD)/tests/test-manager $(BUILD)/tests/test-proc $(BUILD)/tests/test-sup \
           $(BUILD)/tests/test-cgroup $(BUILD)/tests/test-probe $(BUILD)/tests/test-broker $(BUILD)/tests/test-notify-socket $(BUILD)/tests/test-state $(BUILD)/tests/test-logsink $(BUILD)/tests/test-reload $(BUILD)/tests/test-control $(BUILD)/tests/test-shm-lane $(BUILD)/tests/test-shm-crash
UNIT    += $(BUILD)/tests/test-cfg-keys $(BUILD)/tests/test-metrics $(BUILD)/tests/test-tail $(BUILD)/tests/test-actor $(BUILD)/tests/test-actor-table $(BUILD)/tests/test-subject $(BUILD)/tests/test-iomux
HELPERS  = $(BUILD)/tests/notify-listen $(BUILD)/tests/hostile $(BUILD)/tests/hostile-notify $(BUILD)/tests/hostile-ctl $(BUILD)/tests/sigcount $(BUILD)/tests/msg-peer $(BUILD)/tests/hostile-probe $(BUILD)/tests/hostile-actors $(BUILD)/tests/actor-peer $(BUILD)/tests/req-peer $(BUILD)/tests/nats-peer
EXAMPLES = $(BUILD)/examples/ticker $(BUILD)/examples/flaky $(BUILD)/examples/msgdemo $(BUILD)/examples/orderbook
BENCH    = $(BUILD)/bench/restart $(BUILD)/bench/crashloop-child $(BUILD)/bench/floor \
           $(BUILD)/bench/scale $(BUILD)/bench/idle-child $(BUILD)/bench/mailbox $(BUILD)/bench/ctl $(BUILD)/bench/e2e $(BUILD)/bench/soak \
           $(BUILD)/bench/probe $(BUILD)/bench/watchdog-child $(BUILD)/bench/reload $(BUILD)/bench/actors $(BUILD)/bench/patterns \
           $(BUILD)/bench/nats
# bench/actors' peers, built for make bench only: the BEAM module (erlc) and CAF (g++, libcaf-dev).
BENCH_PEERS = $(BUILD)/bench/beam.beam $(BUILD)/bench/actors-caf
MANS     = man/airsupd.8 man/airsup.conf.5 man/airsupctl.1 man/airsup.3 man/airsup-nats.8

# Fuzz targets (tests/fuzz/fuzz-NAME.c) and the sources each needs.  `make
# fuzz` builds them with clang's libFuzzer and runs each for FUZZ_SECONDS;
# `make check` replays their corpora and regression inputs without it.
FUZZERS      = cfg notify value lane channel airsup reload http control actor-table actor-addr subject header
FUZZ_cfg     = $(CFG_SRC)
FUZZ_notify  = supervisor/watch/notify-parse.c
FUZZ_value   = supervisor/config/cfg-value.c
FUZZ_reload  = $(CFG_SRC) supervisor/config/reload-plan.c
FUZZ_lane    = $(SHM_SRC)
FUZZ_channel = common/channel.c
FUZZ_airsup  = child/airsup.c child/dead.c child/monitor-actor.c child/request.c child/publish.c common/channel.c common/fds.c common/actor-addr.c common/subject.c $(SHM_SRC)
FUZZ_http    = supervisor/operator/metrics-http.c $(CFG_SRC)
FUZZ_control = $(SUP_SRC) $(SHM_SRC)
FUZZ_actor-table = common/actor-table.c common/actor-addr.c common/channel.c
FUZZ_actor-addr  = common/actor-addr.c common/channel.c
FUZZ_subject     = common/subject.c nats/puback.h
FUZZ_header      = nats/header.h
FUZZ_LIBS_header = -lnats
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
REPLAY       = $(FUZZERS:%=$(BUILD)/fuzz/replay-%)

.PHONY: FORCE all deps deps-test deps-bench deps-fuzz check check-unit check-integration check-man \
        check-fuzz check-one fuzz soak run bench bench-summary check-bench-summary install clean

all: $(BUILD)/airsupd $(BUILD)/airsupd-spawner $(BUILD)/airsupctl $(BUILD)/libairsup.a $(BUILD)/libairsup.so.0 $(BUILD)/airsup-nats $(EXAMPLES)

deps:
	@sh mk/deps.sh build
deps-test:
	@sh mk/deps.sh test
deps-bench:
	@sh mk/deps.sh bench
deps-fuzz:
	@sh mk/deps.sh fuzz

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/airsupd: $(BUILD)/supervisor/airsupd.o $(SUP_OBJ)
	$(CC) $(XLDFLAGS) -o $@ $^ $(AIRSUPD_LIBS)

# The spawner on its own (supervisor/airsupd-spawner.c): its objects built
# apart with a section per function, linked with --gc-sections, keep only
# what the spawner reaches, so it needs libc alone and none of airsupd's
# libraries' pages.
SPAWNER_SRC = supervisor/airsupd-spawner.c supervisor/start/spawner.c supervisor/start/spawn.c \
              supervisor/start/helper.c common/fds.c supervisor/output/errout.c
SPAWNER_OBJ = $(SPAWNER_SRC:%.c=$(BUILD)/spawner/%.o)
$(BUILD)/spawner/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) -ffunction-sections -fdata-sections -MMD -MP -c -o $@ $<
$(BUILD)/airsupd-spawner: $(SPAWNER_OBJ)
	$(CC) $(XLDFLAGS) -Wl,--gc-sections -o $@ $^

# The installation's paths, each file rewritten only when they change:
# what names them (the unit, the man pages; airsupd's default -c, under
# SYSCONFDIR) is made again then, and only then.
PATHS = $(PREFIX) $(BINDIR) $(SBINDIR) $(LIBDIR) $(INCLUDEDIR) $(DATADIR) $(MANDIR) $(UNITDIR) $(SYSCONFDIR)
$(BUILD)/paths: FORCE
	@mkdir -p $(@D)
	@echo '$(PATHS)' | cmp -s - $@ || echo '$(PATHS)' >$@
$(BUILD)/sysconfdir: FORCE
	@mkdir -p $(@D)
	@echo '$(SYSCONFDIR)' | cmp -s - $@ || echo '$(SYSCONFDIR)' >$@
$(BUILD)/supervisor/airsupd.o: XCFLAGS += -DAIRSUP_CONFIG=\"$(SYSCONFDIR)/airsup/airsup.conf\"
$(BUILD)/supervisor/airsupd.o: $(BUILD)/sysconfdir

# The unit and the man pages name the default paths (/usr/local/...,
# /etc/airsup/...); the installed copies name this installation's.
SUBST = sed -e 's|/usr/local/sbin/airsupd|$(SBINDIR)/airsupd|g' \
            -e 's|/usr/local/bin/airsupctl|$(BINDIR)/airsupctl|g' \
            -e 's|/usr/local/bin/airsup-nats|$(BINDIR)/airsup-nats|g' \
            -e 's|/usr/local/share/|$(DATADIR)/|g' \
            -e 's|/usr/local/lib/systemd/system/|$(UNITDIR)/|g' \
            -e 's|/etc/airsup/|$(SYSCONFDIR)/airsup/|g'
$(BUILD)/install/%: % $(BUILD)/paths
	@mkdir -p $(@D)
	$(SUBST) $< >$@

# libairsup: position-independent, only airsup_* exported.
LIB_SRC  = child/airsup.c child/dead.c child/monitor-actor.c child/actor.c child/actor-sup.c child/actor-loop.c child/actor-mbox.c child/actor-timer.c child/actor-pub.c child/actor-ask.c child/actor-watch.c child/request.c child/publish.c \
           common/channel.c common/fds.c common/actor-addr.c common/policy.c common/subject.c $(SHM_SRC)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/lib/%.o)

$(BUILD)/lib/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<

$(BUILD)/libairsup.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libairsup.so.0: $(LIB_OBJ)
	$(CC) $(XLDFLAGS) -shared -Wl,-soname,libairsup.so.0 -o $@ $^

$(BUILD)/tests/hostile-actors: $(BUILD)/tests/integration/hostile-actors.o $(BUILD)/common/channel.o
	@mkdir -p $(@D)
	$(CC) $(XLDFLAGS) -o $@ $^

$(BUILD)/tests/msg-peer $(BUILD)/tests/actor-peer $(BUILD)/tests/req-peer: $(BUILD)/tests/%: $(BUILD)/tests/integration/%.o $(BUILD)/libairsup.a
	@mkdir -p $(@D)
	$(CC) $(XLDFLAGS) -o $@ $^

CTL_SRC  = ctl/airsupctl.c ctl/show.c ctl/change.c ctl/messages.c ctl/events.c ctl/logs.c ctl/term.c ctl/actors.c
$(BUILD)/airsupctl: $(CTL_SRC:%.c=$(BUILD)/%.o)
	$(CC) $(XLDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/nats-peer: $(BUILD)/tests/integration/nats-peer.o
	$(CC) $(XLDFLAGS) -o $@ $^ -lnats

# The bridge to NATS (nats/, airsup-nats(8)): libairsup and libnats.
$(BUILD)/airsup-nats: $(BUILD)/nats/airsup-nats.o $(BUILD)/libairsup.a
	$(CC) $(XLDFLAGS) -o $@ $^ -lnats -lsystemd -lpthread

$(BUILD)/examples/msgdemo: $(BUILD)/examples/msgdemo.o $(BUILD)/libairsup.a
	$(CC) $(XLDFLAGS) -o $@ $^

$(BUILD)/examples/orderbook: $(BUILD)/examples/orderbook.o $(BUILD)/libairsup.a
	$(CC) $(XLDFLAGS) -o $@ $^

$(BUILD)/examples/%: $(BUILD)/examples/%.o
	$(CC) $(XLDFLAGS) -o $@ $^

$(BUILD)/tests/test-shm-%: $(BUILD)/tests/unit/test-shm-%.o $(BUILD)/tests/unit/case-filter.o $(SHM_OBJ)
	@mkdir -p $(@D)
	$(CC) $(XLDFLAGS) -o $@ $^ -lcmocka

$(BUILD)/tests/test-actor: $(BUILD)/tests/unit/test-actor.o $(BUILD)/tests/unit/case-filter.o $(BUILD)/libairsup.a
	@mkdir -p $(@D)
	$(CC) $(XLDFLAGS) -o $@ $^ -lcmocka

$(BUILD)/tests/test-%: $(BUILD)/tests/unit/test-%.o $(BUILD)/tests/unit/case-filter.o $(SUP_OBJ)
	@mkdir -p $(@D)
	$(CC) $(XLDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(BUILD)/tests/%: $(BUILD)/tests/integration/%.o
	@mkdir -p $(@D)
	$(CC) $(XLDFLAGS) -o $@ $^ $(LIBS)

# A replay binary: the target plus a main() that feeds it files.
.SECONDEXPANSION:
$(BUILD)/fuzz/replay-%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c $$(FUZZ_$$*) | deps
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) -o $@ $(filter %.c,$^) $(XLDFLAGS) $(LIBS) $(FUZZ_LIBS_$*)

# A libFuzzer binary (always with ASan and UBSan).
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $$(FUZZ_$$*) | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) -DAIRSUP_VERSION=\"$(VERSION)\" $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined \
		-I. $(shell pkg-config --cflags $(PKGS)) -o $@ $(filter %.c,$^) $(LIBS) $(FUZZ_LIBS_$*)

$(BUILD)/bench/e2e: $(BUILD)/bench/e2e.o $(BUILD)/bench/lib.o $(BUILD)/libairsup.a
	$(CC) $(XLDFLAGS) -o $@ $^ -lzmq

$(BUILD)/bench/actors: $(BUILD)/bench/actors.o $(BUILD)/bench/lib.o $(BUILD)/libairsup.a
	$(CC) $(XLDFLAGS) -o $@ $^

# bench/patterns runs bench/e2e's roles for the plain round trip.
$(BUILD)/bench/patterns: $(BUILD)/bench/patterns.o $(BUILD)/bench/lib.o $(BUILD)/libairsup.a | $(BUILD)/bench/e2e
	$(CC) $(XLDFLAGS) -o $@ $^ -lzmq -lnats

# bench/nats runs the bridge (airsup-nats) under two airsupd.
$(BUILD)/bench/nats: $(BUILD)/bench/nats.o $(BUILD)/bench/lib.o $(BUILD)/libairsup.a | $(BUILD)/airsup-nats
	$(CC) $(XLDFLAGS) -o $@ $^ -lnats

$(BUILD)/bench/beam.beam: bench/actors/beam.erl
	@mkdir -p $(@D)
	erlc -o $(@D) $<

$(BUILD)/bench/actors-caf: bench/actors/caf.cpp
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -O2 -Wall -Wextra -Werror -o $@ $< -lcaf_core -lpthread

$(BUILD)/bench/soak: $(BUILD)/bench/soak.o $(BUILD)/bench/lib.o $(BUILD)/libairsup.a
	$(CC) $(XLDFLAGS) -o $@ $^

$(BUILD)/bench/mailbox: $(BUILD)/bench/mailbox.o $(BUILD)/bench/lib.o $(SHM_OBJ)
	$(CC) $(XLDFLAGS) -o $@ $^ -lrt -lzmq

$(BUILD)/bench/restart $(BUILD)/bench/scale $(BUILD)/bench/ctl $(BUILD)/bench/probe $(BUILD)/bench/reload: $(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/bench/lib.o
	$(CC) $(XLDFLAGS) -o $@ $^
# bench/ctl runs bench/patterns' replier for airsupctl request.
$(BUILD)/bench/ctl: | $(BUILD)/bench/patterns

$(BUILD)/bench/%: $(BUILD)/bench/%.o
	$(CC) $(XLDFLAGS) -o $@ $^

# Each step runs whatever the ones before it did; the end says which failed.
check: deps-test
	@failed=; \
	for step in check-man check-unit check-bench-summary check-fuzz check-integration \
		"SAN=1 check-unit" "SAN=1 check-fuzz" "SAN=1 check-integration"; do \
		$(MAKE) $$step || failed="$$failed, $$step"; \
	done; \
	if [ -n "$$failed" ]; then echo "make check: failed: $${failed#, }"; exit 1; fi; \
	echo "make check: every step passed"

# Every unit binary, even after one failed (mk/check.sh).
check-unit: $(UNIT)
	@BUILD=$(BUILD) sh mk/check.sh unit $(UNIT)

# Every corpus and regression input of every fuzz target, replayed.
check-fuzz: $(REPLAY)
	@BUILD=$(BUILD) sh mk/check.sh fuzz $(FUZZERS)

# make [SAN=1] check-one T="test-X ..." [CASE=PATTERN]: tests by name, each
# built first: tests/unit/test-X.c, tests/integration/test-X.sh (both where
# both exist; unit/test-X or integration/test-X for one), replay-X; CASE, a
# cmocka pattern (* and ?), runs only the unit cases it matches.
check-one: deps-test
	@test -n "$(T)" || { echo 'make check-one T="test-NAME ..." [CASE=PATTERN]' >&2; exit 2; }
	@BUILD=$(BUILD) FUZZERS="$(FUZZERS)" HELPERS="$(HELPERS)" MAKE="$(MAKE)" AIRSUP_TEST_CASE="$(CASE)" \
		sh mk/check.sh one $(T)

# make fuzz [FUZZ_SECONDS=N] [FUZZERS=name]: each target for N seconds,
# starting from a copy of its corpus; what crashes lands in
# tests/fuzz/regress/NAME/ (commit it: check-fuzz replays it from then on).
fuzz: deps-fuzz $(FUZZERS:%=build/fuzz/fuzz-%)
	@set -e; for f in $(FUZZERS); do \
		mkdir -p build/fuzz/corpus-$$f tests/fuzz/regress/$$f; \
		cp -n tests/fuzz/corpus/$$f/* build/fuzz/corpus-$$f/ 2>/dev/null || true; \
		echo "== fuzz-$$f for $(FUZZ_SECONDS) s"; \
		build/fuzz/fuzz-$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix=tests/fuzz/regress/$$f/ build/fuzz/corpus-$$f tests/fuzz/regress/$$f; \
	done

check-integration: all $(HELPERS)
	@BUILD=$(BUILD) sh tests/integration/run.sh

# make soak [SOAK_SECONDS=300]: every hostile input at once against one
# airsupd, its RSS, fds and status latency checked against airsupd(8).
SOAK_SECONDS ?= 300
soak: all $(HELPERS)
	BUILD=$(BUILD) bash tests/integration/soak-hostile.sh $(SOAK_SECONDS)

check-man:
	mandoc -Tlint -W warning $(MANS)

run: deps all
	@echo "airsup demo: Ctrl-C stops it"
	$(BUILD)/airsupd -c config/demo.conf --subreaper --control build/demo.control

# Each bench's stdout is also saved in $(BENCH_OUT)/NAME.out; its exit
# status is kept across the pipe to tee (POSIX sh has no pipefail), so a
# bench that fails still fails make bench.  bench/summary.py then reads
# the last JSON line of each and prints every headline goal in one table
# and one {"bench":"summary",...} line; make bench-summary re-reads the
# saved outputs without running anything.  stdbuf -oL: restart, scale,
# ctl, probe and reload leave stdout to stdio's default, which is a full
# buffer into a pipe; line by line, the console shows each line as before.
# A bench that fails does not stop the rest: the summary shows what each
# measured, and make bench fails at the end, naming it.
BENCH_OUT   = $(BUILD)/bench-out
bench_run   = { stdbuf -oL $(BUILD)/bench/$(1) $(BENCH_ARGS); echo $$? >$(BENCH_OUT)/$(1).rc; } | tee $(BENCH_OUT)/$(1).out

bench: deps-bench all $(BENCH) $(BENCH_PEERS)
	rm -rf $(BENCH_OUT) && mkdir -p $(BENCH_OUT)
	$(call bench_run,restart)
	$(call bench_run,scale)
	$(call bench_run,mailbox)
	$(call bench_run,ctl)
	$(call bench_run,e2e)
	$(call bench_run,actors)
	$(call bench_run,patterns)
	$(call bench_run,nats)
	$(call bench_run,soak)
	$(call bench_run,probe)
	$(call bench_run,reload)
	python3 bench/summary.py $(BENCH_OUT)
	@bad=$$(grep -L '^0$$' $(BENCH_OUT)/*.rc | sed 's|.*/||; s|\.rc$$||'); \
		[ -z "$$bad" ] || { echo "make bench: failed:" $$bad >&2; exit 1; }

bench-summary:
	python3 bench/summary.py $(BENCH_OUT)

# Quick, and needs no bench to have run: sample outputs in a temporary folder.
check-bench-summary:
	sh bench/summary.test.sh

install: all $(BUILD)/install/config/airsupd.service $(BUILD)/install/config/airsup.conf.sample $(MANS:%=$(BUILD)/install/%)
	install -D -m 755 $(BUILD)/airsupd $(DESTDIR)$(SBINDIR)/airsupd
	install -D -m 755 $(BUILD)/airsupd-spawner $(DESTDIR)$(SBINDIR)/airsupd-spawner
	install -D -m 755 $(BUILD)/airsupctl $(DESTDIR)$(BINDIR)/airsupctl
	install -D -m 644 ctl/airsupctl.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/airsupctl
	install -D -m 644 $(BUILD)/install/config/airsupd.service $(DESTDIR)$(UNITDIR)/airsupd.service
	install -D -m 644 $(BUILD)/install/man/airsupctl.1 $(DESTDIR)$(MANDIR)/man1/airsupctl.1
	install -D -m 644 $(BUILD)/install/man/airsup.3 $(DESTDIR)$(MANDIR)/man3/airsup.3
	install -D -m 644 $(BUILD)/install/man/airsup.conf.5 $(DESTDIR)$(MANDIR)/man5/airsup.conf.5
	install -D -m 644 $(BUILD)/install/man/airsupd.8 $(DESTDIR)$(MANDIR)/man8/airsupd.8
	install -D -m 755 $(BUILD)/airsup-nats $(DESTDIR)$(BINDIR)/airsup-nats
	install -D -m 644 $(BUILD)/install/man/airsup-nats.8 $(DESTDIR)$(MANDIR)/man8/airsup-nats.8
	install -D -m 644 $(BUILD)/install/config/airsup.conf.sample $(DESTDIR)$(DATADIR)/doc/airsup/airsup.conf.sample
	@# The operator's configuration is never overwritten.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/airsup/airsup.conf ]; then \
		echo "$(DESTDIR)$(SYSCONFDIR)/airsup/airsup.conf kept (the sample: $(DATADIR)/doc/airsup/airsup.conf.sample)"; \
	else \
		echo install -D -m 644 $(BUILD)/install/config/airsup.conf.sample $(DESTDIR)$(SYSCONFDIR)/airsup/airsup.conf; \
		install -D -m 644 $(BUILD)/install/config/airsup.conf.sample $(DESTDIR)$(SYSCONFDIR)/airsup/airsup.conf; \
	fi
	install -D -m 644 child/airsup.h $(DESTDIR)$(INCLUDEDIR)/airsup.h
	install -D -m 644 $(BUILD)/libairsup.a $(DESTDIR)$(LIBDIR)/libairsup.a
	install -D -m 755 $(BUILD)/libairsup.so.0 $(DESTDIR)$(LIBDIR)/libairsup.so.0
	ln -sf libairsup.so.0 $(DESTDIR)$(LIBDIR)/libairsup.so
	mkdir -p $(DESTDIR)$(LIBDIR)/pkgconfig
	printf 'prefix=%s\nlibdir=%s\nincludedir=%s\n\nName: airsup\nDescription: messages between the groups airsupd supervises\nVersion: %s\nLibs: -L$${libdir} -lairsup\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(LIBDIR)' '$(INCLUDEDIR)' '$(VERSION)' >$(DESTDIR)$(LIBDIR)/pkgconfig/airsup.pc

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
