# airsup - the one build.  make, make check, make run, make bench, make install.
# SAN=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer into
# build/asan; `make check` runs every test in both builds.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
PKGS     = libsystemd libbsd inih

ifeq ($(SAN),1)
BUILD   ?= build/asan
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD   ?= build
endif

WARN     = -std=gnu17 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wimplicit-fallthrough -Werror
# Recursive (=) on purpose: pkg-config runs only once deps.sh made sure it is there.
XCFLAGS  = -DAIRSUP_VERSION=\"0.1.0\" $(WARN) $(CFLAGS) $(SANFLAGS) -Icommon -Isupervisor -Ishm $(shell pkg-config --cflags $(PKGS))
XLDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS     = $(shell pkg-config --libs $(PKGS))

SUP_SRC  = supervisor/cfg.c supervisor/cfg-value.c supervisor/policy.c \
           supervisor/event.c supervisor/spawn.c supervisor/proc.c supervisor/notify-parse.c \
           supervisor/notify.c supervisor/closer.c supervisor/sup.c
SUP_OBJ  = $(SUP_SRC:%.c=$(BUILD)/%.o)
SHM_SRC  = shm/lane.c shm/mailbox.c
SHM_OBJ  = $(SHM_SRC:%.c=$(BUILD)/%.o)
UNIT     = $(BUILD)/tests/test-cfg $(BUILD)/tests/test-policy $(BUILD)/tests/test-notify \
           $(BUILD)/tests/test-shm-lane $(BUILD)/tests/test-shm-crash
HELPERS  = $(BUILD)/tests/notify-listen $(BUILD)/tests/hostile
EXAMPLES = $(BUILD)/examples/ticker $(BUILD)/examples/flaky
BENCH    = $(BUILD)/bench/restart $(BUILD)/bench/crashloop-child $(BUILD)/bench/floor \
           $(BUILD)/bench/scale $(BUILD)/bench/idle-child $(BUILD)/bench/mailbox
MANS     = man/airsupd.8 man/airsup.conf.5

.PHONY: all deps deps-test deps-bench check check-unit check-integration check-man \
        check-asan run bench install clean

all: $(BUILD)/airsupd $(EXAMPLES)

deps:
	@sh mk/deps.sh build
deps-test:
	@sh mk/deps.sh test
deps-bench:
	@sh mk/deps.sh bench

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/airsupd: $(BUILD)/supervisor/airsupd.o $(SUP_OBJ)
	$(CC) $(XLDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/examples/%: $(BUILD)/examples/%.o
	$(CC) $(XLDFLAGS) -o $@ $^

$(BUILD)/tests/test-shm-%: $(BUILD)/tests/unit/test-shm-%.o $(SHM_OBJ)
	@mkdir -p $(@D)
	$(CC) $(XLDFLAGS) -o $@ $^ -lcmocka

$(BUILD)/tests/test-%: $(BUILD)/tests/unit/test-%.o $(SUP_OBJ)
	@mkdir -p $(@D)
	$(CC) $(XLDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(BUILD)/tests/%: $(BUILD)/tests/integration/%.o
	@mkdir -p $(@D)
	$(CC) $(XLDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bench/mailbox: $(BUILD)/bench/mailbox.o $(SHM_OBJ)
	$(CC) $(XLDFLAGS) -o $@ $^ -lrt

$(BUILD)/bench/%: $(BUILD)/bench/%.o
	$(CC) $(XLDFLAGS) -o $@ $^

check: deps-test
	$(MAKE) check-man
	$(MAKE) check-unit check-integration
	$(MAKE) SAN=1 check-unit check-integration

check-unit: $(UNIT)
	@set -e; for t in $(UNIT); do echo "== $$t"; $$t; done

check-integration: all $(HELPERS)
	@BUILD=$(BUILD) sh tests/integration/run.sh

check-man:
	mandoc -Tlint -W warning $(MANS)

run: deps all
	@echo "airsup demo: Ctrl-C stops it"
	$(BUILD)/airsupd -c config/demo.conf --subreaper

bench: deps-bench all $(BENCH)
	$(BUILD)/bench/restart $(BENCH_ARGS)
	$(BUILD)/bench/scale $(BENCH_ARGS)
	$(BUILD)/bench/mailbox $(BENCH_ARGS)

install: all
	install -D -m 755 $(BUILD)/airsupd $(DESTDIR)$(PREFIX)/sbin/airsupd
	install -D -m 644 man/airsupd.8 $(DESTDIR)$(PREFIX)/share/man/man8/airsupd.8
	install -D -m 644 man/airsup.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/airsup.conf.5

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
