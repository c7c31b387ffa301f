# Split-Stack top-level Makefile.
#
#   make                 build splitstack.ko for every installed Debian kernel
#                        and the Go programs
#   make KERNEL=6.12     only for the kernel whose version starts with 6.12
#   make deps            install everything the build and the tests need (apt)
#   make test            deps + build + check + unit tests + kernel tests in QEMU
#   make demo            deps + build + the demo cluster in QEMU
#   make check           W=1, sparse (C=1) and checkpatch --strict on kmod/
#   make bench           connection lifetime: handoff (split, drain) vs none
#   make test-debug      the data-path scenarios on a 6.1 kernel built with
#                        KASAN, lockdep, kmemleak, KFENCE (scripts/debug-kernel.sh,
#                        cached in build/debug-kernel); not in CI
#   make soak            the cluster of guests, WAN, 50 connections for 10 min
#                        (SOAK_DURATION=...), every body checked; not in CI
#   make install         splitstack.ko under /lib/modules/<kernel>/updates for
#                        every built kernel (then depmod), the programs under
#                        $(PREFIX)/bin, the uapi header; DESTDIR=... to stage
#   make uninstall       removes what make install put there
#   make dkms-install    registers kmod/ with DKMS (rebuilt on kernel upgrades)
#   make dkms-uninstall  removes it from DKMS

SHELL := /bin/bash
GO ?= go
KERNEL ?=
# Installed kernels that have headers, newest first; KERNEL picks by prefix
# ("6.1" does not match "6.12").
KVERS := $(shell for d in /usr/src/linux-headers-*-amd64; do \
	[ -d "$$d" ] && basename "$$d" | sed 's/^linux-headers-//'; done | sort -rV)
ifneq ($(KERNEL),)
KVERS := $(filter $(KERNEL).% $(KERNEL)-%,$(KVERS))
endif
BUILD := $(CURDIR)/build
KMOD_SRC := $(shell find kmod -name '*.[ch]') kmod/Kbuild
MODULES := $(foreach v,$(KVERS),$(BUILD)/$(v)/splitstack.ko)
GOBIN := $(BUILD)/bin
GOCMDS := sstctl sst-vm sst-demo sst-os sst-ds
# What make install installs: the tools users run.
INSTALL_CMDS := sstctl sst-ds sst-os
PREFIX ?= /usr/local
DESTDIR ?=
SST_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' kmod/dkms.conf)

.PHONY: all module go deps test unit-test kernel-test demo bench stress stress-smp apps check soak clean \
	install uninstall dkms-install dkms-uninstall test-debug

all: module go

module: $(MODULES)

# Each kernel gets its own copy of the sources so builds do not share objects.
$(BUILD)/%/splitstack.ko: $(KMOD_SRC)
	@test -d /lib/modules/$*/build || { echo "no headers for $* (make deps)"; exit 1; }
	@mkdir -p $(BUILD)/$*
	@cp -a kmod/. $(BUILD)/$*/
	$(MAKE) -C /lib/modules/$*/build M=$(BUILD)/$* W=1 modules

go:
	@mkdir -p $(GOBIN)
	$(GO) build -o $(GOBIN)/ $(addprefix ./cmd/,$(GOCMDS))

deps:
	./scripts/deps.sh

unit-test:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) test -short ./pkg/... ./cmd/... ./qemu/... ./internal/...

kernel-test: all
	SST_BUILD=$(BUILD) SST_KERNELS="$(KVERS)" $(GO) test -count=1 -timeout 80m -v ./tests/

# A debug kernel and a module built against its tree; the scenarios that
# move data, with their timeouts tripled (KASAN and lockdep are slow).
DEBUG_KDIR := $(BUILD)/debug-kernel
DEBUG_SCENARIOS ?= passive|handoff|faults|apps-path
test-debug:
	./scripts/debug-kernel.sh $(DEBUG_KDIR)
	v=$$(cat $(DEBUG_KDIR)/version) && mkdir -p $(DEBUG_KDIR)/module/$$v && \
	cp -a kmod/. $(DEBUG_KDIR)/module/$$v/ && \
	$(MAKE) -C $(DEBUG_KDIR)/src/linux-source-6.1 M=$(DEBUG_KDIR)/module/$$v W=1 modules && \
	SST_BUILD=$(DEBUG_KDIR)/module SST_KERNEL_ROOT=$(DEBUG_KDIR)/root SST_KERNELS=$$v \
	SST_TIMEOUT_SCALE=3 $(GO) test -count=1 -timeout 120m -v \
		-run 'TestKernel/[^/]*/($(DEBUG_SCENARIOS))$$' ./tests/

soak: all
	SST_BUILD=$(BUILD) SST_KERNELS="$(KVERS)" $(GO) test -tags soak -count=1 -timeout 0 -v -run TestSoak ./tests/

test: deps
	$(MAKE) all
	$(MAKE) check
	$(MAKE) unit-test
	$(MAKE) kernel-test

demo: deps
	$(MAKE) all
	$(GOBIN)/sst-demo -build $(BUILD)

# Figures, not assertions: connection lifetime with and without handoff.
bench: all
	$(GOBIN)/sst-vm -kernel $(or $(KERNEL),6.1) \
		-module $(BUILD)/$(firstword $(filter $(or $(KERNEL),6.1).% $(or $(KERNEL),6.1)-%,$(KVERS)))/splitstack.ko \
		-cpus 1 -file lib=tests/lib -file bin=$(GOBIN) -timeout 30m -script tests/scenarios/bench.sh

# 50 concurrent httperf sessions through handoffs (see docs/design.md).
stress: all
	$(GOBIN)/sst-vm -kernel $(or $(KERNEL),6.1) \
		-module $(BUILD)/$(firstword $(filter $(or $(KERNEL),6.1).% $(or $(KERNEL),6.1)-%,$(KVERS)))/splitstack.ko \
		-cpus 1 -file lib=tests/lib -file bin=$(GOBIN) -timeout 10m -env HTTPERF_CONNS=50 \
		-script tests/scenarios/handoff.sh

# One sst-ds policy/mode end to end: make apps POLICY=lard MODE=forward [FALLBACK=1]
apps: all
	$(GOBIN)/sst-vm -kernel $(or $(KERNEL),6.1) \
		-module $(BUILD)/$(firstword $(filter $(or $(KERNEL),6.1).% $(or $(KERNEL),6.1)-%,$(KVERS)))/splitstack.ko \
		-cpus 1 -file lib=tests/lib -file bin=$(GOBIN) -timeout 8m -env POLICY=$(or $(POLICY),path) \
		-env MODE=$(or $(MODE),handoff) -env FALLBACK=$(or $(FALLBACK),0) -script tests/scenarios/apps.sh

# The same on two vCPUs: TCG's turns reorder packets, PAWS only reported.
stress-smp: all
	$(GOBIN)/sst-vm -cpus 2 -kernel $(or $(KERNEL),6.1) \
		-module $(BUILD)/$(firstword $(filter $(or $(KERNEL),6.1).% $(or $(KERNEL),6.1)-%,$(KVERS)))/splitstack.ko \
		-file lib=tests/lib -file bin=$(GOBIN) -timeout 10m -env HTTPERF_CONNS=50 -env PAWS=report \
		-script tests/scenarios/handoff.sh

check: $(MODULES)
	./scripts/check-kmod.sh $(KVERS)
	gcc -Wall -Wextra -Werror -I kmod/include/uapi -o $(BUILD)/handoff-server docs/examples/handoff-server.c

# depmod only for the live system: a staged tree (DESTDIR) is the
# packager's, who runs depmod -b.
install: all
	@for v in $(KVERS); do \
		echo "install splitstack.ko -> $(DESTDIR)/lib/modules/$$v/updates/"; \
		install -D -m 0644 $(BUILD)/$$v/splitstack.ko $(DESTDIR)/lib/modules/$$v/updates/splitstack.ko || exit 1; \
		[ -n "$(DESTDIR)" ] || depmod -a $$v || exit 1; \
	done
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(addprefix $(GOBIN)/,$(INSTALL_CMDS)) $(DESTDIR)$(PREFIX)/bin/
	install -D -m 0644 kmod/include/uapi/linux/splitstack.h $(DESTDIR)$(PREFIX)/include/linux/splitstack.h

uninstall:
	@for v in $(KVERS); do \
		rm -f $(DESTDIR)/lib/modules/$$v/updates/splitstack.ko; \
		[ -n "$(DESTDIR)" ] || depmod -a $$v || exit 1; \
	done
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(INSTALL_CMDS)) $(DESTDIR)$(PREFIX)/include/linux/splitstack.h

dkms-install:
	@command -v dkms >/dev/null || { echo "dkms is not installed (apt-get install dkms)"; exit 1; }
	rm -rf /usr/src/splitstack-$(SST_VERSION)
	cp -a kmod /usr/src/splitstack-$(SST_VERSION)
	dkms add -m splitstack -v $(SST_VERSION)
	@for v in $(KVERS); do dkms install -m splitstack -v $(SST_VERSION) -k $$v || exit 1; done

dkms-uninstall:
	-dkms remove -m splitstack -v $(SST_VERSION) --all
	rm -rf /usr/src/splitstack-$(SST_VERSION)

clean:
	rm -rf $(BUILD)
