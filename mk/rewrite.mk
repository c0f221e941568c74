# The offline domain rewriter (issue 3): file plumbing, CLI commands, fault shim, corpus check.
CLI_SRCS += src/json.c src/rwrecord.c src/confdir.c src/daemon.c src/udiff.c src/rwreport.c src/rwcli.c src/commit.c src/cmd-rewrite.c src/cmd-rollback.c \
	src/cmd-cpu-models.c
# The SHA-256 of what rewrite wrote (rwrecord.c): nettle, small and on every Debian system.
# The CLI's link line has no list of its own: it rides on libxml2's.
NETTLE_CFLAGS := $(shell $(PKG_CONFIG) --cflags nettle)
NETTLE_LIBS := $(shell $(PKG_CONFIG) --libs nettle)
DEP_CFLAGS += $(NETTLE_CFLAGS)
XML_LIBS += $(NETTLE_LIBS)

# LD_PRELOAD shim that fails the Nth write/fsync/rename/close/… (tests/integration/41-faults*).
FAULT_SHIM := $(B)/fault/faultshim.so
$(FAULT_SHIM): tests/fault/faultshim.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(OPTFLAGS) -fPIC -shared -o $@ $< -ldl
check check-integration: $(FAULT_SHIM)

# The floor the rewriter is measured against: the same bytes rewritten with the same fsyncs.
BENCH_FLOOR := $(B)/bench/rwfloor
$(BENCH_FLOOR): bench/rwfloor.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(OPTFLAGS) -o $@ $<
bench: $(BENCH_FLOOR) $(FAULT_SHIM)

# make corpus-check [CORPUS=DIR]: every domain XML of libvirt's own test suite (fetched into
# /var/cache/nestvirt-corpus when CORPUS is not given) through the rewriter and libvirt's tools.
.PHONY: corpus-check
corpus-check: all
	scripts/corpus-check.sh $(B)/nestvirt $(CORPUS)
