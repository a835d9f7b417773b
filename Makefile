# SPDX-License-Identifier: GPL-2.0
#
# xtcp top-level Makefile.
#
#   make                 build module/xtcp.ko (and xtcp_fault.ko, the tests'
#                        fault injection): against the running kernel's
#                        /lib/modules/$(uname -r)/build when it exists, else
#                        against the pinned Debian 6.1 headers
#   make KVER=6.12       build against the pinned Debian 6.1 / 6.12 headers
#   make KVER=debug      build against the debug kernel (built first if need
#                        be: scripts/debug-kernel.sh, about 12 minutes once);
#                        make vm KVER=debug boots it
#   make KDIR=/path      build against any kernel build tree
#   make check           every check, on both kernels; ends "N passed, N failed"
#   make demo            boot Debian's kernel in QEMU and show xtcp working
#   make vm              interactive shell in the guest, module loaded
#   make bench           xtcp beside the kernel's TCP in one guest boot: bulk,
#                        duplex, fanin, rr and crr over loopback and veth,
#                        AF_UNIX on loopback, median of BENCH_REPEAT (3) runs
#                        (KVER=6.12 for the other kernel); table in
#                        build/bench/results.txt
#   make unit            user-space unit tests of the protocol core and
#                        xtcpstat's tests on fixture files (tests/tools)
#   make tools           build/tools/xtcpstat, ss -tan for xtcp, and
#                        xtcp_bench, make bench's load generator
#   make kunit           KUnit suites of the stateful code (module/tests:
#                        state builders, input.c, minisocks.c, allocation
#                        failures at every site) in the debug kernel
#   make coverage        line and branch coverage of module/ by the unit tests
#                        and the debug kernel's selftest lane (gcov; about 45
#                        minutes; COVERAGE_TESTS="xtcp_timer ..." for fewer)
#   make fuzz            libFuzzer over the protocol core, FUZZ_SECONDS (300)
#                        per target; make fuzz-smoke: 20 s per target
#   make deps            install what the project needs (Debian packages)
#   make install         xtcp.ko into /lib/modules/<release>/extra (depmod),
#                        xtcpstat, xtcp-run, <linux/xtcp.h>, the man pages
#                        under PREFIX (/usr/local); DESTDIR for a staging
#                        root; make uninstall takes them away again
#   make dkms-install    the source into /usr/src/xtcp-VERSION and DKMS
#                        builds it for the kernel (rebuilt on every kernel
#                        update); make dkms-uninstall
#   make deb             Debian packages xtcp-dkms and xtcp-tools in
#                        build/deb (dpkg-buildpackage), checked by lintian
#
# Kernel build outputs stay in module/; everything else goes to build/.

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
XTCP_CACHE ?= $(TOP)/.cache
export XTCP_CACHE

include $(TOP)/scripts/kernels.conf

# KVER=6.1/6.12 build in .cache/kernels/6.1/build (6.12/build): scripts/deps.sh
# links there the pinned kernel, or its fallback when the pin has left the
# archive.
ifeq ($(KVER),6.1)
KLINK := 6.1
else ifeq ($(KVER),6.12)
KLINK := 6.12
else ifeq ($(KVER),debug)
KREL := $(shell $(TOP)/scripts/debug-kernel.sh)
ifeq ($(KREL)$(KLINK),)
$(error the debug kernel could not be built: see scripts/debug-kernel.sh)
endif
else ifneq ($(KVER),)
$(error KVER must be 6.1, 6.12 or debug (or pass KDIR=...))
endif

RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
ifeq ($(KDIR),)
ifeq ($(KREL)$(KLINK),)
ifneq ($(wildcard $(RUNNING_KDIR)/Makefile),)
KDIR := $(RUNNING_KDIR)
else
KLINK := 6.1
endif
endif
endif
ifneq ($(KLINK),)
KDIR := $(XTCP_CACHE)/kernels/$(KLINK)/build
PINNED_DEPS := $(KDIR)/Makefile
else ifneq ($(KREL),)
KDIR := $(XTCP_CACHE)/kernels/$(KREL)/usr/src/linux-headers-$(KREL)
endif

CC ?= gcc
UNIT_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow \
	-fsanitize=address,undefined -fno-sanitize-recover=all

.PHONY: all modules clean deps check demo vm unit selftests bench help \
	fuzz fuzz-smoke fuzz-build fuzz-corpus tools coverage kunit \
	install uninstall install-module install-tools install-tools-build \
	install-dkms-source dkms-install dkms-uninstall deb

all: modules tools

modules: $(PINNED_DEPS)
	$(MAKE) -C $(KDIR) M=$(TOP) modules

$(PINNED_DEPS):
	$(TOP)/scripts/deps.sh

deps:
	$(TOP)/scripts/deps.sh

coverage:
	$(TOP)/scripts/coverage.sh $(COVERAGE_TESTS)

kunit:
	$(TOP)/scripts/kunit.sh

# One binary per core file; `make unit` runs them all, even after a failure.
UNIT_BINS := build/unit/test_core build/unit/test_cc build/unit/test_cubic \
	build/unit/test_sack
UNIT_SRCS := tests/unit/test_core.c tests/unit/unit.c module/core.c
build/unit/test_core: $(UNIT_SRCS) tests/unit/unit.h tests/oracle.h module/core.h include/uapi/linux/xtcp.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -I$(TOP) -o $@ $(UNIT_SRCS)

# cc.c and the congestion control algorithms it lists
CC_SRCS := module/cc.c module/cc_newreno.c module/cc_cubic.c
UNIT_CC_SRCS := tests/unit/test_cc.c tests/unit/unit.c $(CC_SRCS)
build/unit/test_cc: $(UNIT_CC_SRCS) tests/unit/unit.h tests/oracle.h module/cc.h module/core.h include/uapi/linux/xtcp.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -I$(TOP) -o $@ $(UNIT_CC_SRCS)

UNIT_SACK_SRCS := tests/unit/test_sack.c tests/unit/unit.c module/sack.c
build/unit/test_sack: $(UNIT_SACK_SRCS) tests/unit/unit.h module/sack.h module/core.h include/uapi/linux/xtcp.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -I$(TOP) -o $@ $(UNIT_SACK_SRCS)

UNIT_CUBIC_SRCS := tests/unit/test_cubic.c tests/unit/unit.c $(CC_SRCS)
build/unit/test_cubic: $(UNIT_CUBIC_SRCS) tests/unit/unit.h tests/oracle.h module/cc.h module/core.h include/uapi/linux/xtcp.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -I$(TOP) -o $@ $(UNIT_CUBIC_SRCS) -lm

# xtcpstat links the core for the state names and the diagram's edges.
# CPPFLAGS, CFLAGS and LDFLAGS from the environment are added (Debian's
# hardening flags, when debian/rules builds the tools).
TOOLS_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow
TOOLS_CC = $(CC) $(TOOLS_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)
build/tools/xtcpstat: tools/xtcpstat.c module/core.c module/core.h include/uapi/linux/xtcp.h
	@mkdir -p $(dir $@)
	$(TOOLS_CC) -I$(TOP) -o $@ tools/xtcpstat.c module/core.c

# xtcp-run: a launcher and the LD_PRELOAD library it loads, side by side.
build/tools/libxtcp-run.so: tools/xtcp_run.c include/uapi/linux/xtcp.h
	@mkdir -p $(dir $@)
	$(TOOLS_CC) -I$(TOP) -fPIC -shared -o $@ $< -ldl

build/tools/xtcp-run: tools/xtcp-run
	@mkdir -p $(dir $@)
	install -m 755 $< $@

# scripts/bench.sh builds it too (if missing or older than its sources).
build/tools/xtcp_bench: tools/xtcp_bench.c include/uapi/linux/xtcp.h
	@mkdir -p $(dir $@)
	$(TOOLS_CC) -I$(TOP)/include/uapi -o $@ $<

tools: build/tools/xtcpstat build/tools/libxtcp-run.so build/tools/xtcp-run \
	build/tools/xtcp_bench

# The unit binaries, xtcpstat on the fixtures of tests/tools/fixtures, and
# the man pages against the sources (tests/man/check.sh).
unit: $(UNIT_BINS) build/tools/xtcpstat
	@rc=0; for t in $(UNIT_BINS); do $$t || rc=1; done; \
	$(TOP)/tests/tools/run.sh $(TOP)/build/tools/xtcpstat || rc=1; \
	$(TOP)/tests/man/check.sh || rc=1; exit $$rc

# libFuzzer targets over the same core.c/cc.c, with clang (scripts/deps.sh
# installs it).  Each runs on build/fuzz/corpus-<target>, a working corpus
# seeded from tests/fuzz/corpus/<target> and kept between runs, so the
# committed seeds never change; crashes land in build/fuzz/ and fail the run.
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wshadow \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := fuzz_parse fuzz_cc fuzz_seq
FUZZ_BINS := $(addprefix build/fuzz/,$(FUZZ_TARGETS))
FUZZ_DEPS := tests/fuzz/fuzz.h tests/oracle.h module/core.h include/uapi/linux/xtcp.h

build/fuzz/fuzz_parse: tests/fuzz/fuzz_parse.c module/core.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(TOP) -o $@ tests/fuzz/fuzz_parse.c module/core.c

build/fuzz/fuzz_cc: tests/fuzz/fuzz_cc.c $(CC_SRCS) module/cc.h $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(TOP) -o $@ tests/fuzz/fuzz_cc.c $(CC_SRCS)

build/fuzz/fuzz_seq: tests/fuzz/fuzz_seq.c module/core.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(TOP) -o $@ tests/fuzz/fuzz_seq.c module/core.c

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(TOP)/scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BINS)
	$(TOP)/scripts/fuzz.sh 20 $(FUZZ_TARGETS)

# Rewrite the committed seeds from tests/fuzz/gen_corpus.c.
build/fuzz/gen_corpus: tests/fuzz/gen_corpus.c module/core.c module/cc.h $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -I$(TOP) -o $@ tests/fuzz/gen_corpus.c module/core.c

fuzz-corpus: build/fuzz/gen_corpus
	build/fuzz/gen_corpus $(TOP)/tests/fuzz/corpus

# The guest tests run build/tools/xtcpstat (selftests/xtcp_tool.c).
selftests: tools
	$(MAKE) -C $(TOP)/selftests

check:
	$(TOP)/scripts/check.sh

demo:
	$(TOP)/scripts/demo.sh

# The guest boots a pinned kernel, so build for that one whatever KDIR says.
vm: selftests
	$(MAKE) -C $(TOP) KVER=$(or $(KVER),6.1) modules
	$(TOP)/scripts/vm.sh --kernel $(or $(KVER),6.1) --module $(TOP)/module/xtcp.ko --shell

# The same module as vm, then one boot measuring TCP and xtcp side by side.
bench:
	$(MAKE) -C $(TOP) KVER=$(or $(KVER),6.1) modules
	$(TOP)/scripts/bench.sh --kernel $(or $(KVER),6.1) --module $(TOP)/module/xtcp.ko

# ---- installing ----
# The version is the Debian changelog's (debian/changelog, first line).
XTCP_PKG_VERSION ?= $(shell sed -n '1s/^xtcp (\([^ ]*\)) .*/\1/p' $(TOP)/debian/changelog)
PREFIX ?= /usr/local
DESTDIR ?=
# The release modules are installed under is the kernel's UTS_RELEASE
# (Debian's headers say 6.1.0-N-amd64 there, not in kernel.release).
KRELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDIR = $(DESTDIR)/lib/modules/$(KRELEASE)/extra
TOOL_FILES := $(PREFIX)/bin/xtcpstat $(PREFIX)/bin/xtcp-run \
	$(PREFIX)/lib/xtcp/libxtcp-run.so $(PREFIX)/include/linux/xtcp.h \
	$(PREFIX)/share/man/man7/xtcp.7 $(PREFIX)/share/man/man8/xtcpstat.8 \
	$(PREFIX)/share/man/man1/xtcp-run.1

install: install-module install-tools

# For the running kernel (its headers: linux-headers-$(uname -r)), or the
# one KDIR or KVER names; never the pinned fallback a plain `make` takes
# (that would fetch the project's whole toolset).  depmod -b: a staging
# root has its own module index.
DEPMOD ?= /sbin/depmod
install-module:
	@if [ -z "$(KVER)" ] && [ "$(origin KDIR)" != "command line" ] && \
	    [ ! -f "$(RUNNING_KDIR)/Makefile" ]; then \
		echo "make install: no headers for the running kernel" \
		     "($(RUNNING_KDIR)): install linux-headers-$$(uname -r)," \
		     "or name a kernel tree with KDIR=" >&2; exit 1; fi
	@test -f "$(KDIR)/Makefile" || \
		{ echo "make install: no kernel tree at $(KDIR)" >&2; exit 1; }
	@test -n "$(KRELEASE)" || \
		{ echo "make install: no UTS_RELEASE in $(KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) modules
	install -D -m 644 $(TOP)/module/xtcp.ko $(MODDIR)/xtcp.ko
	$(DEPMOD) $(if $(DESTDIR),-b $(DESTDIR)) $(KRELEASE)

install-tools-build: build/tools/xtcpstat build/tools/libxtcp-run.so \
	build/tools/xtcp-run

install-tools: install-tools-build
	install -D -m 755 build/tools/xtcpstat $(DESTDIR)$(PREFIX)/bin/xtcpstat
	install -D -m 755 build/tools/xtcp-run $(DESTDIR)$(PREFIX)/bin/xtcp-run
	install -D -m 644 build/tools/libxtcp-run.so \
		$(DESTDIR)$(PREFIX)/lib/xtcp/libxtcp-run.so
	install -D -m 644 include/uapi/linux/xtcp.h \
		$(DESTDIR)$(PREFIX)/include/linux/xtcp.h
	install -D -m 644 Documentation/man/xtcp.7 \
		$(DESTDIR)$(PREFIX)/share/man/man7/xtcp.7
	install -D -m 644 Documentation/man/xtcpstat.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/xtcpstat.8
	install -D -m 644 Documentation/man/xtcp-run.1 \
		$(DESTDIR)$(PREFIX)/share/man/man1/xtcp-run.1

uninstall:
	rm -f $(addprefix $(DESTDIR),$(TOOL_FILES))
	-rmdir $(DESTDIR)$(PREFIX)/lib/xtcp
	@if [ -n "$(KRELEASE)" ] && [ -f $(MODDIR)/xtcp.ko ]; then \
		rm -f $(MODDIR)/xtcp.ko && \
		$(DEPMOD) $(if $(DESTDIR),-b $(DESTDIR)) $(KRELEASE); fi

# What DKMS builds from: the kbuild files and the module's source, no tests
# (and none of kbuild's generated *.mod.c).
DKMS_SRC = $(DESTDIR)/usr/src/xtcp-$(XTCP_PKG_VERSION)
DKMS_MODULE_SRC = $(filter-out %.mod.c,$(wildcard module/*.c)) \
	$(wildcard module/*.h)
install-dkms-source:
	install -d $(DKMS_SRC)/module $(DKMS_SRC)/include/uapi/linux
	install -m 644 Kbuild $(DKMS_SRC)/Kbuild
	install -m 644 module/Kbuild $(DKMS_MODULE_SRC) $(DKMS_SRC)/module/
	install -m 644 include/uapi/linux/xtcp.h $(DKMS_SRC)/include/uapi/linux/

# DKMS_ARGS: more dkms(8) options for every call (trees of its own, as
# tests/package/check.sh gives); DKMS_KERNEL_ARGS for the install only
# (-k RELEASE --kernelsourcedir DIR; the running kernel by default).
dkms-install: install-dkms-source
	sed 's/#MODULE_VERSION#/$(XTCP_PKG_VERSION)/' dkms.conf >$(DKMS_SRC)/dkms.conf
	@# run again (after an edit): the version stays added, and this
	@# kernel's build and install are redone (--force); other kernels'
	@# are left as they are
	dkms status -m xtcp -v $(XTCP_PKG_VERSION) $(DKMS_ARGS) | grep -q . || \
		dkms add -m xtcp -v $(XTCP_PKG_VERSION) $(DKMS_ARGS)
	dkms build --force -m xtcp -v $(XTCP_PKG_VERSION) $(DKMS_ARGS) $(DKMS_KERNEL_ARGS)
	dkms install --force -m xtcp -v $(XTCP_PKG_VERSION) $(DKMS_ARGS) $(DKMS_KERNEL_ARGS)

dkms-uninstall:
	dkms remove -m xtcp -v $(XTCP_PKG_VERSION) --all $(DKMS_ARGS)
	rm -rf $(DKMS_SRC)

# Both packages in build/deb, from a copy of the tracked files, and
# lintian's verdict on them.
deb:
	$(TOP)/tests/package/build-deb.sh $(TOP)/build/deb

# Not kbuild's clean: with M=$(TOP) it deletes every *.ko and *.o below the
# tree, .cache/'s kernels included.
clean:
	rm -f $(TOP)/Module.symvers $(TOP)/modules.order $(TOP)/.*.cmd
	find $(TOP)/module -maxdepth 1 \( -name '*.o' -o -name '*.ko' -o \
		-name '*.mod' -o -name '*.mod.c' -o -name '.*.cmd' -o \
		-name 'modules.order' -o -name '*.symvers' \) -delete
	rm -rf $(TOP)/build

help:
	@sed -n '3,27p' $(TOP)/Makefile
