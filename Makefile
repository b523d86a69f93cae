# dm: private direct messages for Unix.
#
# make            build every program
# make check      run the test suite (SANITIZE=1 for ASan and UBSan)
# make demo       run the main job on a temporary spool
# make install    install into $(DESTDIR)$(PREFIX)
# make fuzz       build the libFuzzer targets (clang) into tests/fuzz/bin
# make fuzz-run   fuzz each target FUZZ_SECONDS seconds (use -j2 to pair)
# make fuzz-smoke fuzz each target 10 seconds

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
	@if $(MAKE) -s fuzz-probe >/dev/null 2>&1; then \
		$(MAKE) fuzz-smoke; \
	else \
		echo "dm: clang with libFuzzer not found: fuzz smoke run skipped" \
		    "(apt-get install clang libclang-rt-14-dev)"; \
	fi

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

# Fuzzing with libFuzzer: clang builds the library sources again with the
# same sanitizers as the targets, into tests/fuzz/obj, apart from lib/*.o.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
FUZZ_TARGETS = envelope batch format since text
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -Ilib -Itests/fuzz $(WARN) $(PKG_CFLAGS) \
	-g -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_DIR = tests/fuzz
FUZZ_OBJ = $(patsubst lib/%.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRC)) \
	$(FUZZ_DIR)/obj/fuzz_identity.o
FUZZ_BINS = $(addprefix $(FUZZ_DIR)/bin/fuzz_,$(FUZZ_TARGETS))
FUZZ_OUT = $(FUZZ_DIR)/out

# Longest input each target is given: room for every field the parser
# limits (256 recipients, 1 KiB subjects, attachments) without slowing
# the search down with inputs far longer than any branch needs.
FUZZ_MAX_LEN_envelope = 32768
FUZZ_MAX_LEN_batch = 4096
FUZZ_MAX_LEN_format = 1024
FUZZ_MAX_LEN_since = 128
FUZZ_MAX_LEN_text = 4096

fuzz: deps-check $(FUZZ_BINS) $(FUZZ_DIR)/bin/gen_seeds

# Succeeds when FUZZ_CC can link a libFuzzer target.
fuzz-probe:
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ return d == 0 && n == 1; }\n' | \
		$(FUZZ_CC) -fsanitize=fuzzer -x c -o /dev/null -

fuzz-cc-check:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { \
		echo "dm: fuzzing needs $(FUZZ_CC) with libFuzzer; on Debian run: apt-get install clang" >&2; \
		exit 1; }

$(FUZZ_DIR)/obj/%.o: lib/%.c lib/*.h | fuzz-cc-check
	@mkdir -p $(FUZZ_DIR)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/obj/fuzz_identity.o: $(FUZZ_DIR)/fuzz_identity.c \
		$(FUZZ_DIR)/fuzz_identity.h lib/*.h | fuzz-cc-check
	@mkdir -p $(FUZZ_DIR)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/bin/fuzz_%: $(FUZZ_DIR)/fuzz_%.c $(FUZZ_DIR)/*.h $(FUZZ_OBJ)
	@mkdir -p $(FUZZ_DIR)/bin
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) \
		$(PKG_LIBS)

$(FUZZ_DIR)/bin/gen_seeds: $(FUZZ_DIR)/gen_seeds.c $(FUZZ_DIR)/*.h $(FUZZ_OBJ)
	@mkdir -p $(FUZZ_DIR)/bin
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

# Rewrites the generated part of the envelope seed corpus.
fuzz-seeds: $(FUZZ_DIR)/bin/gen_seeds
	$(FUZZ_DIR)/bin/gen_seeds $(FUZZ_DIR)/corpus/envelope

# fuzz-run-TARGET fuzzes a copy of the seed corpus in tests/fuzz/out, so
# the corpus grows across runs; crashes are saved in out/TARGET-crashes
# and the log, with libFuzzer's final statistics, in out/TARGET.log.
fuzz-run: $(addprefix fuzz-run-,$(FUZZ_TARGETS))

fuzz-run-%: $(FUZZ_DIR)/bin/fuzz_%
	@mkdir -p $(FUZZ_OUT)/$* $(FUZZ_OUT)/$*-crashes
	cp -R $(FUZZ_DIR)/corpus/$*/. $(FUZZ_OUT)/$*/
	$(FUZZ_DIR)/bin/fuzz_$* -max_total_time=$(FUZZ_SECONDS) \
		-max_len=$(FUZZ_MAX_LEN_$*) -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_OUT)/$*-crashes/ $(FUZZ_OUT)/$* \
		> $(FUZZ_OUT)/$*.log 2>&1 || { tail -40 $(FUZZ_OUT)/$*.log; exit 1; }
	@grep -E '^stat::|DONE' $(FUZZ_OUT)/$*.log | sed 's/^/$*: /'

# A short run of every target, starting from the committed seed corpus
# so that each regression input is replayed first.
fuzz-smoke: $(addprefix fuzz-smoke-,$(FUZZ_TARGETS))

fuzz-smoke-%: $(FUZZ_DIR)/bin/fuzz_%
	rm -rf $(FUZZ_OUT)/smoke/$*
	mkdir -p $(FUZZ_OUT)/smoke/$*
	cp -R $(FUZZ_DIR)/corpus/$*/. $(FUZZ_OUT)/smoke/$*/
	$(FUZZ_DIR)/bin/fuzz_$* -max_total_time=10 -max_len=$(FUZZ_MAX_LEN_$*) \
		-artifact_prefix=$(FUZZ_OUT)/smoke/$*- $(FUZZ_OUT)/smoke/$* \
		> $(FUZZ_OUT)/smoke/$*.log 2>&1 || \
		{ tail -40 $(FUZZ_OUT)/smoke/$*.log; exit 1; }

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
	rm -rf bin lib/*.o lib/libdm.a lib/.build-flags $(FUZZ_DIR)/bin \
		$(FUZZ_DIR)/obj

.PHONY: all check check-valgrind stress fuzz fuzz-probe fuzz-cc-check fuzz-seeds fuzz-run fuzz-smoke demo install uninstall clean deps \
	deps-check FORCE fuzz fuzz-cc-check fuzz-seeds fuzz-run fuzz-smoke
