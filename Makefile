# dm: private direct messages for Unix.
#
# make            build every program
# make check      run the test suite (SANITIZE=1 for ASan and UBSan)
# make demo       run the main job on a temporary spool
# make install    install into $(DESTDIR)$(PREFIX)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config
PACKAGES = sqlite3 libsodium libmagic jansson

# Debian packages that provide what the build and the tests need.
DEB_BUILD = gcc libc6-dev libsqlite3-dev libsodium-dev libmagic-dev libjansson-dev \
	pkg-config
DEB_TEST = bats python3 jq mandoc bsdutils util-linux procps valgrind

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PACKAGES) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PACKAGES) 2>/dev/null)

WARN = -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2
DM_CFLAGS = -std=c11 -D_GNU_SOURCE -Ilib $(WARN) $(PKG_CFLAGS)

ifeq ($(SANITIZE),1)
DM_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
DM_LDFLAGS += -fsanitize=address,undefined
endif

PROGRAMS = dm dm-init dm-send dm-inbox dm-read dm-attach dm-watch dm-mark \
	dm-group
LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:.c=.o)
BINS = $(addprefix bin/,$(PROGRAMS))
MAN1 = $(wildcard man/*.1)
MAN5 = $(wildcard man/*.5)
MAN7 = $(wildcard man/*.7)

all: deps-check $(BINS)

deps-check:
	@for p in $(PACKAGES); do \
		$(PKG_CONFIG) --exists $$p 2>/dev/null || { \
			echo "dm: build dependency missing: $$p (pkg-config $$p)" >&2; \
			echo "dm: on Debian run: make deps, or: apt-get install $(DEB_BUILD)" >&2; \
			exit 1; }; \
	done

# Installs missing Debian packages as root, or prints the command to run.
deps:
	@sh share/deps.sh $(DEB_BUILD) $(DEB_TEST)

# Objects are rebuilt when the compiler or flags change (SANITIZE=1).
BUILD_FLAGS = $(CC) $(CPPFLAGS) $(DM_CFLAGS) $(CFLAGS) $(DM_LDFLAGS) $(LDFLAGS)
lib/.build-flags: FORCE
	@echo '$(BUILD_FLAGS)' | cmp -s - $@ || echo '$(BUILD_FLAGS)' > $@

lib/%.o: lib/%.c lib/*.h lib/.build-flags
	$(CC) $(CPPFLAGS) $(DM_CFLAGS) $(CFLAGS) -c -o $@ $<

lib/libdm.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

bin/%: cmd/%.c lib/libdm.a lib/.build-flags
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(DM_CFLAGS) $(CFLAGS) -o $@ $< lib/libdm.a \
		$(DM_LDFLAGS) $(LDFLAGS) $(PKG_LIBS)

check: deps
	$(MAKE) all
	bats tests

# The test suite with every program under valgrind; fails when any
# process reported a memory error or leak.
VALGRIND_LOGS = $(CURDIR)/tests/valgrind-logs
check-valgrind: deps
	$(MAKE) all
	rm -rf $(VALGRIND_LOGS)
	DM_VALGRIND=$(VALGRIND_LOGS) bats tests || true
	@find $(VALGRIND_LOGS) -name '*.log' -size +0 > $(VALGRIND_LOGS)/reports
	@if [ -s $(VALGRIND_LOGS)/reports ]; then \
		echo "valgrind reported errors:" >&2; \
		xargs cat < $(VALGRIND_LOGS)/reports | head -100 >&2; exit 1; \
	fi
	@echo "valgrind: $$(ls $(VALGRIND_LOGS)/*.log | wc -l) processes, no errors or leaks"

# The full-size fault runs: 100 senders x 100 messages, 1000 crash trials.
stress: deps
	$(MAKE) all
	tests/stress/load.sh 100 100
	python3 tests/stress/crash.py --trials 1000

demo: deps
	$(MAKE) all
	sh share/demo.sh

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	for p in $(PROGRAMS); do \
		install -m 755 bin/$$p $(DESTDIR)$(BINDIR)/$$p || exit 1; \
	done
	for m in $(MAN1); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/ || exit 1; done
	for m in $(MAN5); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man5/ || exit 1; done
	for m in $(MAN7); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man7/ || exit 1; done

uninstall:
	for p in $(PROGRAMS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(MAN1); do rm -f $(DESTDIR)$(MANDIR)/man1/$${m#man/}; done
	for m in $(MAN5); do rm -f $(DESTDIR)$(MANDIR)/man5/$${m#man/}; done
	for m in $(MAN7); do rm -f $(DESTDIR)$(MANDIR)/man7/$${m#man/}; done

clean:
	rm -rf bin lib/*.o lib/libdm.a lib/.build-flags

.PHONY: all check check-valgrind stress demo install uninstall clean deps deps-check FORCE
