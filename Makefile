# The one place the project's commands live; README and .ci/run call these.
GO ?= go
FUZZTIME ?= 10s
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

.PHONY: all build test test-arm64 test-quick cross floors fuzz fuzz-smoke bench bench-micro profile demo soak clean install

all: build

build:
	$(GO) build -o bin/ ./cmd/spiped ./cmd/spipe

# The full suite: vet and staticcheck, the BSD/macOS (kqueue) builds and
# vet, race-enabled tests (interop tests need the reference spiped:
# scripts/install-deps.sh), the engine's tests again on epoll (the loops
# use io_uring where the kernel allows it), the allocation tests again without -race (its
# instrumentation changes escape analysis), and a short run of every fuzz
# target. The floors are built too, so that they keep measuring this tree.
# staticcheck is a tool dependency in go.mod (go tool builds it; it is not
# linked into the binaries).
test: cross test-arm64 floors
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) test -race -count=1 ./...
	SPIPED_POLLER=epoll $(GO) test -count=1 ./engine/
	$(GO) test -count=1 -run 'NoAlloc|Allocs' ./cipher/ ./engine/ ./bufpool/
	$(MAKE) fuzz-smoke

# The quick local loop: -short skips the timeout-bound tests (black holes,
# silent clients, descriptor exhaustion, load) that make test runs.
test-quick:
	$(GO) test -short -count=1 ./...

# The packet and buffer code for arm64, run under user-mode emulation
# (qemu-user-static from scripts/install-deps.sh, called through go test
# -exec, so binfmt_misc is not needed): once on the live path (-cpu max has
# the AES and SHA-256 instructions) and once on the portable one. Emulation
# says nothing about speed. Two tests are skipped because they exec a
# binary built for the target, which only binfmt_misc could run: the
# SPIPED_NOASM=1 rerun (the second run here does that job) and the
# regeneration of the amd64 DH assembly (arch-independent; make test runs
# it natively). Without qemu this skips, except under CI, where it fails.
QEMU_AARCH64 ?= $(shell command -v qemu-aarch64-static || command -v qemu-aarch64)
ARM64_TEST = GOARCH=arm64 $(GO) test -count=1 -exec '$(QEMU_AARCH64) -cpu max' \
	-skip '^(TestDHNoAsm|TestGeneratedAsmCurrent)$$' ./cipher/ ./bufpool/
test-arm64:
	@if [ -z "$(QEMU_AARCH64)" ]; then \
		if [ -n "$$CI" ]; then echo "CI is set but qemu-aarch64-static is missing (scripts/install-deps.sh)" >&2; exit 1; fi; \
		echo "SKIP test-arm64: qemu-aarch64-static not installed (scripts/install-deps.sh installs it)"; \
	else \
		$(ARM64_TEST) && SPIPED_NOASM=1 $(ARM64_TEST); \
	fi

# The kqueue side must never rot: build compiles only the non-test files,
# vet type-checks the test files too (Rlimit's field types, socket options
# and the like differ between systems).
cross:
	GOOS=darwin GOARCH=arm64 $(GO) build ./...
	GOOS=freebsd GOARCH=amd64 $(GO) build ./...
	GOOS=linux GOARCH=arm64 $(GO) build ./...
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...
	GOOS=freebsd GOARCH=amd64 $(GO) vet ./...
	GOOS=linux GOARCH=arm64 $(GO) vet ./...
	$(GO) vet -tags purego ./cipher/

# What PERF.md measures the daemons against, in bin/floor/: the C relays
# doing spiped's socket work with no crypto, one of them ported to Go, and
# this tree without its cryptography (bench/floor/nocrypto.patch). Never
# install them.
floors:
	scripts/build-floors.sh bin/floor

# Each fuzz target for FUZZTIME (make fuzz FUZZTIME=2h for a long run).
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

# The smoke run in make test: a count of executions per target, not a
# duration. With a duration, go1.26's fuzz coordinator can report "context
# deadline exceeded" as the time runs out, with nothing found
# (golang/go#75804, fixed in Go 1.27); a count has no deadline to race.
fuzz-smoke:
	scripts/fuzz.sh 10000x

# Side-by-side with the reference (see PERF.md).
bench:
	$(GO) run ./bench -svg bench/results

bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./cipher/ ./bufpool/ | tee bench-micro.txt

profile:
	$(GO) run ./bench -profile cpu.pprof

demo:
	scripts/demo.sh

# Minutes of mixed traffic with random faults, then descriptors, goroutines
# and memory must be back at their baseline (SOAK_TIME=10m make soak).
soak:
	scripts/soak.sh

# Both binaries and their man pages (make install PREFIX=/usr DESTDIR=pkg).
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 bin/spiped bin/spipe $(DESTDIR)$(BINDIR)/
	install -m 644 man/spiped.1 man/spipe.1 $(DESTDIR)$(MANDIR)/man1/

clean:
	rm -rf bin bench-micro.txt cpu.pprof cpu-d.pprof
