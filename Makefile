# nestvirt — build, test, install.  `make help` lists the targets.

PKG_CONFIG ?= pkg-config
CC ?= cc
CLANG ?= clang

# Install locations. Where the owning package publishes one through pkg-config, that is the
# default; every one can be overridden on the command line.
PREFIX ?= /usr
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/nestvirt
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/nestvirt
UDEVDIR ?= $(or $(shell $(PKG_CONFIG) --variable=udevdir udev 2>/dev/null),$(PREFIX)/lib/udev)
SYSTEMDSYSTEMUNITDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),$(PREFIX)/lib/systemd/system)
DRACUTMODULESDIR ?= $(or $(shell $(PKG_CONFIG) --variable=dracutmodulesdir dracut 2>/dev/null),$(PREFIX)/lib/dracut/modules.d)
DRACUTCONFDIR ?= $(or $(shell $(PKG_CONFIG) --variable=dracutconfdir dracut 2>/dev/null),$(PREFIX)/lib/dracut/dracut.conf.d)
DESTDIR ?=

B := build
OPTFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla
BASEFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARNFLAGS) -Isrc -DLIBEXECDIR='"$(LIBEXECDIR)"'

KMOD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libkmod)
KMOD_LIBS := $(shell $(PKG_CONFIG) --libs libkmod)
XML_CFLAGS := $(shell $(PKG_CONFIG) --cflags libxml-2.0)
XML_LIBS := $(shell $(PKG_CONFIG) --libs libxml-2.0)
BLKID_CFLAGS := $(shell $(PKG_CONFIG) --cflags blkid)
BLKID_LIBS := $(shell $(PKG_CONFIG) --libs blkid)
CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka)

DEP_CFLAGS := $(KMOD_CFLAGS) $(XML_CFLAGS) $(BLKID_CFLAGS)
ALL_CFLAGS = $(BASEFLAGS) $(DEP_CFLAGS) $(OPTFLAGS) $(CFLAGS)

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# The boot helper's modules: libc and libkmod only, because it is copied into every initramfs.
CORE_SRCS := src/log.c src/fileio.c src/cmdline.c src/hostcpu.c src/kvmmod.c src/modconf.c \
	src/state.c src/kmodops.c src/early.c
# The admin CLI adds modules that may use libxml2 and libblkid.
CLI_SRCS := src/cmd-status.c src/modresolve.c src/guests.c

EARLY_MAIN := src/main-early.c
CLI_MAIN := src/main-nestvirt.c

# Unit tests: tests/unit/test_NAME.c, linked against all modules.
UNIT_TESTS :=
# QEMU boot tests run by make check-vm (mk/*.mk fragments add theirs).
VM_TESTS := tests/vm/boot-tests.sh tests/vm/firstboot-tests.sh

# Fragments of larger capabilities add to the lists above (and may define rules: keep "all" first).
.DEFAULT_GOAL := all
include $(sort $(wildcard mk/*.mk))

UNIT_TESTS += $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

CORE_OBJS := $(CORE_SRCS:%.c=$(B)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o)
SAN_OBJS := $(CORE_SRCS:%.c=$(B)/san/%.o) $(CLI_SRCS:%.c=$(B)/san/%.o)
# Reached only through the pattern rule of the sanitizer tests: without this make deletes them
# as intermediates and rebuilds every one on the next "make check".
.SECONDARY: $(SAN_OBJS)

PROGRAMS := $(B)/nestvirt-early $(B)/nestvirt

.PHONY: all check format-check format check-unit check-integration check-vm check-shell bench fuzz install uninstall \
	clean help demo
all: $(PROGRAMS)

$(B)/%.o: %.c $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/san/%.o: %.c $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(DEP_CFLAGS) $(CMOCKA_CFLAGS) -O1 -g $(SAN_FLAGS) -c -o $@ $<

$(B)/libcore.a: $(CORE_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/libcli.a: $(CLI_OBJS)
	rm -f $@ && ar rcs $@ $^

# The helper dlopen()s libkmod only when it reloads a module (kmodops.c): NEEDED is libc alone.
$(B)/nestvirt-early: $(B)/$(EARLY_MAIN:.c=.o) $(B)/libcore.a
	$(CC) $(OPTFLAGS) $(LDFLAGS) -Wl,--as-needed -o $@ $^

$(B)/nestvirt: $(B)/$(CLI_MAIN:.c=.o) $(B)/libcli.a $(B)/libcore.a
	$(CC) $(OPTFLAGS) $(LDFLAGS) -Wl,--as-needed -o $@ $^ $(KMOD_LIBS) $(XML_LIBS) $(BLKID_LIBS)

TEST_LIBS = $(KMOD_LIBS) $(XML_LIBS) $(BLKID_LIBS) $(CMOCKA_LIBS)
TEST_CFLAGS = $(CMOCKA_CFLAGS) -DSRCDIR='"$(CURDIR)"'

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libcli.a $(B)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(B)/libcli.a $(B)/libcore.a $(TEST_LIBS)

$(B)/san/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(SAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(DEP_CFLAGS) $(TEST_CFLAGS) -O1 -g $(SAN_FLAGS) -o $@ $< $(SAN_OBJS) $(TEST_LIBS)

UNIT_BINS := $(UNIT_TESTS:%=$(B)/tests/%) $(UNIT_TESTS:%=$(B)/san/tests/%)

# tests/integration/[0-9]*.sh, less what a fragment runs in a target of its own (mk/pkg.mk).
INTEGRATION_TESTS = $(filter-out $(PKG_ONLY_TESTS),$(sort $(wildcard tests/integration/[0-9]*.sh)))

# Everything CI reads goes through prove (TAP): cmocka speaks TAP when asked.
PROVE := CMOCKA_MESSAGE_OUTPUT=TAP NESTVIRT_BUILD=$(abspath $(B)) prove --norc --exec ''

check: all $(UNIT_BINS)
	$(PROVE) $(UNIT_BINS) $(INTEGRATION_TESTS)

# .clang-format decides the layout of every C file; make check fails on a file it would change.
FORMAT_FILES = $(sort $(wildcard src/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c tests/fault/*.c bench/*.c))
check: format-check
format-check:
	@bad=$$(for f in $(FORMAT_FILES); do clang-format --style=file "$$f" | cmp -s - "$$f" || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "format-check: clang-format would change (run make format):"; \
		echo "$$bad"; exit 1; fi

format:
	clang-format -i --style=file $(FORMAT_FILES)

check-unit: $(UNIT_BINS)
	$(PROVE) $(UNIT_BINS)

check-integration: all
	$(PROVE) $(INTEGRATION_TESTS)

# Boots Debian's kernel under QEMU/TCG; the Debian root is cached in /var/cache/nestvirt-vm.
check-vm: all
	$(PROVE) $(VM_TESTS)

# Every bench/*.sh prints its figures and the ratio to the alternative it names.
bench: all
	@set -e; for b in $(sort $(wildcard bench/*.sh)); do echo "== $$b"; $$b; done

# libFuzzer targets: tests/fuzz/fuzz_NAME.c with a seed corpus in tests/fuzz/corpus/NAME/.
FUZZ_SECONDS ?= 30
# 0: a new random seed each run. A fixed seed replays the same inputs (CI uses 1).
FUZZ_SEED ?= 0
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz: $(FUZZ_TARGETS:%=$(B)/fuzz/%)
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(B)/fuzz/corpus-$$t; \
		echo "== $$t ($(FUZZ_SECONDS) s)"; \
		if ! $(B)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -seed=$(FUZZ_SEED) -print_final_stats=1 \
			$(B)/fuzz/corpus-$$t tests/fuzz/corpus/$${t#fuzz_} >$(B)/fuzz/$$t.log 2>&1; then \
			tail -n 60 $(B)/fuzz/$$t.log; echo "fuzz: $$t FAILED"; exit 1; \
		fi; \
		grep -E 'number_of_executed_units|peak_rss' $(B)/fuzz/$$t.log; \
	done

$(B)/fuzz/%: tests/fuzz/%.c $(CORE_SRCS) $(CLI_SRCS) $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(BASEFLAGS) $(DEP_CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(CORE_SRCS) $(CLI_SRCS) \
		$(KMOD_LIBS) $(XML_LIBS) $(BLKID_LIBS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(UDEVDIR)/rules.d \
		$(DESTDIR)$(DRACUTMODULESDIR)/90nestvirt $(DESTDIR)$(DRACUTCONFDIR)
	install -m 0755 $(B)/nestvirt $(DESTDIR)$(BINDIR)/nestvirt
	install -m 0755 $(B)/nestvirt-early $(DESTDIR)$(LIBEXECDIR)/nestvirt-early
	sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' udev/90-nestvirt.rules.in \
		> $(DESTDIR)$(UDEVDIR)/rules.d/90-nestvirt.rules
	sed -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@UDEVDIR@|$(UDEVDIR)|g' \
		dracut/90nestvirt/module-setup.sh.in > $(DESTDIR)$(DRACUTMODULESDIR)/90nestvirt/module-setup.sh
	sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' dracut/90nestvirt/nestvirt-cmdline.sh.in \
		> $(DESTDIR)$(DRACUTMODULESDIR)/90nestvirt/nestvirt-cmdline.sh
	chmod 0755 $(DESTDIR)$(DRACUTMODULESDIR)/90nestvirt/*.sh
	install -m 0644 dracut/50-nestvirt.conf $(DESTDIR)$(DRACUTCONFDIR)/50-nestvirt.conf
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(wildcard docs/*.8) $(DESTDIR)$(MANDIR)/man8/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nestvirt $(DESTDIR)$(LIBEXECDIR)/nestvirt-early \
		$(DESTDIR)$(UDEVDIR)/rules.d/90-nestvirt.rules $(DESTDIR)$(DRACUTCONFDIR)/50-nestvirt.conf
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard docs/*.8)))
	rm -rf $(DESTDIR)$(DRACUTMODULESDIR)/90nestvirt
	-rmdir $(DESTDIR)$(LIBEXECDIR)

demo: all
	scripts/demo.sh

clean:
	rm -rf $(B)

help:
	@echo "make                 build $(PROGRAMS)"
	@echo "make check           format check, unit tests (plain and ASan+UBSan), integration tests"
	@echo "make format          apply .clang-format to every C file"
	@echo "make check-vm        boot Debian's kernel under QEMU with a dracut initramfs"
	@echo "make check-pkg       build the Debian packages, lintian, install/upgrade/purge in a chroot"
	@echo "make bench           benchmarks with figures against named alternatives"
	@echo "make fuzz            run every libFuzzer target for a bounded time"
	@echo "make install DESTDIR=… PREFIX=…"
