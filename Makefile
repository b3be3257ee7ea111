# DiskDB build. Every target installs what it needs (Debian/Ubuntu: apt).
#
#   make run     build and start the server (data in ./data, port 6380)
#   make test    install what is missing and run every test
#   make bench   side-by-side benchmarks against redis-server (~10-15 min, after a
#                one-time ~10-minute build of the release RocksDB; `make bench-quick`
#                is a 2-minute smoke run; flags: BENCH_ARGS=..., BENCH_ROCKSDB=debian)
#
# Reliability (store/command/reliability/RELIABILITY.md; short versions of each run in make test):
#   make crashloop  kill -9 loop, 100 iterations per fsync mode
#   make soak       30 minutes of mixed load with connection churn
#   make fuzznet    network fuzzer and hostile clients, minutes
#   make fulldisk   full filesystem (tmpfs; needs mount permission)
#   make race       race-enabled server under the compat suite and the loads

GO      ?= go
# giouring links only with the linkname check off on Go >= 1.23.
export GOFLAGS := -ldflags=-checklinkname=0
export CGO_ENABLED := 1

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_STAMP := .deps-ok

BIN := bin/diskdb
RACE_BIN := bin/diskdb-race
REL := ./store/command/reliability
REPORT ?= $(CURDIR)/reliability-report.jsonl
RACE_LOGS := $(CURDIR)/bin/race-logs
# The compat tests run against the race-enabled server by make race.
RACE_COMPAT ?= .
TEST_TIMEOUT ?= 25m
DIR ?= ./data
ARGS ?=
BENCH_ARGS ?=

.PHONY: all build rocksdb-release run test test-short bench bench-quick bench-commands bench-uring bench-tool fmt vet deps clean fuzz crashloop soak fuzznet fulldisk livecheck race race-build

all: build

# deps installs RocksDB's headers and libraries (cgo) and, for the tests and
# benchmarks, the reference redis-server and redis-tools.
deps:
	@if [ ! -f /usr/include/rocksdb/c.h ] || [ ! -f /usr/include/jemalloc/jemalloc.h ] || ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null || ! command -v redis-benchmark >/dev/null; then \
		echo ">> installing librocksdb-dev libjemalloc-dev redis-server redis-tools (apt)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq librocksdb-dev libjemalloc-dev redis-server redis-tools >/dev/null; \
	fi
	@command -v $(GO) >/dev/null || { echo "Go is required (https://go.dev/dl)"; exit 1; }

# A release build of RocksDB (make rocksdb-release, opt-in) goes to bin/lib;
# when it is there, the server is linked to look for it first (rpath
# $ORIGIN/lib). Same version and ABI as Debian's package, built with NDEBUG:
# Debian's librocksdb keeps RocksDB's assertions and sync points on, which
# costs every memtable insert and iterator step (BENCHMARKS.md).
ROCKSDB_VERSION := 7.8.3
ROCKSDB_SHA256 := b85408a374770897332bf15e51620a5f35720dd416a4749e3899057f9cfaf84d
ROCKSDB_URL := http://deb.debian.org/debian/pool/main/r/rocksdb/rocksdb_$(ROCKSDB_VERSION).orig.tar.gz
ROCKSDB_SRC := bin/rocksdb-$(ROCKSDB_VERSION)
# USE_SSE with PORTABLE: SSE4.2/PCLMUL/AVX2 where the compiler has them (any
# x86-64 since 2013; ignored elsewhere). Without it RocksDB computes every
# WAL record's and every block's CRC32C in portable C (BENCHMARKS.md).
# (RocksDB's Makefile reads USE_SSE from the environment only.)
ROCKSDB_FLAGS := DEBUG_LEVEL=0 USE_RTTI=1 PORTABLE=1 DISABLE_WARNING_AS_ERROR=1
ROCKSDB_ENV := USE_SSE=1
ifneq ($(wildcard bin/lib/librocksdb.so.7.8),)
export CGO_LDFLAGS := $(CGO_LDFLAGS) -Wl,-rpath,$$ORIGIN/lib
endif

build: deps
	$(GO) build -o $(BIN) ./cmd/diskdb
	@if [ -f bin/lib/librocksdb.so.7.8 ]; then echo ">> $(BIN) uses the release RocksDB in bin/lib"; fi

# About 10 minutes on 2 cores; `rm -rf bin/lib` goes back to Debian's library.
rocksdb-release: deps
	@mkdir -p bin/lib
	@if [ ! -f $(ROCKSDB_SRC)/librocksdb.so.$(ROCKSDB_VERSION) ] || [ "$$(cat $(ROCKSDB_SRC)/.diskdb-flags 2>/dev/null)" != "$(ROCKSDB_ENV) $(ROCKSDB_FLAGS)" ]; then \
		echo ">> downloading and building RocksDB $(ROCKSDB_VERSION) (release, RTTI for DiskDB's logger)"; \
		rm -rf $(ROCKSDB_SRC) && \
		{ command -v curl >/dev/null && command -v g++ >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq curl g++ make >/dev/null; }; } && \
		curl -fsSL -o bin/rocksdb.tar.gz $(ROCKSDB_URL) && \
		echo "$(ROCKSDB_SHA256)  bin/rocksdb.tar.gz" | sha256sum -c --quiet && \
		tar -C bin -xzf bin/rocksdb.tar.gz && rm bin/rocksdb.tar.gz && \
		env $(ROCKSDB_ENV) $(MAKE) -C $(ROCKSDB_SRC) -j$$(nproc) shared_lib $(ROCKSDB_FLAGS) >bin/rocksdb-build.log 2>&1 && \
		echo "$(ROCKSDB_ENV) $(ROCKSDB_FLAGS)" >$(ROCKSDB_SRC)/.diskdb-flags || \
		{ echo "RocksDB build failed: see bin/rocksdb-build.log"; exit 1; }; \
	fi
	cp -a $(ROCKSDB_SRC)/librocksdb.so.$(ROCKSDB_VERSION) $(ROCKSDB_SRC)/librocksdb.so.7.8 bin/lib/
	$(MAKE) build

run: build
	./$(BIN) --dir $(DIR) $(ARGS)

# The whole suite: unit, fuzz seeds, executor on real RocksDB, the
# compatibility suite over TCP against the real binary, differential runs
# against redis-server, durability (kill -9) and hostile-input tests; the
# compatibility suite, the live-consistency check and the crash loop once
# more over io_uring (its reactors commit in sessions; skipped, saying so,
# where the kernel refuses it); the executor, the command layer, the parser and the
# io_uring backend under the race detector.
test: build race-build
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	DISKDB_BIN=$(CURDIR)/$(BIN) DISKDB_RACE_BIN=$(CURDIR)/$(RACE_BIN) DISKDB_IO=epoll $(GO) test -timeout $(TEST_TIMEOUT) ./...
	DISKDB_BIN=$(CURDIR)/$(BIN) DISKDB_IO=uring $(GO) test -timeout $(TEST_TIMEOUT) ./store/command/compat
	DISKDB_BIN=$(CURDIR)/$(BIN) DISKDB_IO=uring $(GO) test -timeout $(TEST_TIMEOUT) -run 'TestLiveConsistency|TestCrashLoop' $(REL)
	$(GO) test -race -short -timeout $(TEST_TIMEOUT) ./store ./store/command ./proto ./uring

test-short: build
	DISKDB_BIN=$(CURDIR)/$(BIN) $(GO) test -short -timeout $(TEST_TIMEOUT) ./...

fuzz: deps
	$(GO) test ./proto -run XXX -fuzz FuzzReadCommand -fuzztime 60s

# Side by side against redis-server (deps installs redis-server and
# redis-tools, which has redis-benchmark). Reports go to bench/results/;
# see BENCHMARKS.md for the method and BENCH_ARGS (e.g. --runs 5,
# --only 'everysec/', --memory-keys 20000000, --dir /path/on/a/real/disk).
# The benchmarks run the server the figures in BENCHMARKS.md were measured
# with: linked to the release RocksDB (built once, ~10 minutes, then kept).
# BENCH_ROCKSDB=debian measures Debian's library instead.
BENCH_ROCKSDB ?= release
BENCH_BUILD := $(if $(filter debian,$(BENCH_ROCKSDB)),build,rocksdb-release)

bench: deps $(BENCH_BUILD) bench-tool
	./bin/diskdb-bench sidebyside --server $(CURDIR)/$(BIN) $(BENCH_ARGS)

bench-quick: deps $(BENCH_BUILD) bench-tool
	./bin/diskdb-bench sidebyside --server $(CURDIR)/$(BIN) --quick $(BENCH_ARGS)

# Single commands the generator has no workload for (bitmaps, HyperLogLog,
# geo, ZRANGE, streams, EVALSHA, JSON), with redis-benchmark's custom
# commands, side by side; RUNS=5 N=500000 for longer runs.
bench-commands: deps $(BENCH_BUILD)
	bash bench/commands.sh $(CURDIR)/$(BIN)

# The network backends side by side: --io uring, --io epoll, redis-server
# (redis-benchmark -c 50, SET/GET at -P 1 and -P 16); ROUNDS=5.
bench-uring: deps $(BENCH_BUILD)
	DISKDB=$(CURDIR)/$(BIN) bash bench/uring.sh $(or $(ROUNDS),5)

bench-tool: deps
	$(GO) build -o bin/diskdb-bench ./cmd/diskdb-bench

race-build: deps
	$(GO) build -race -o $(RACE_BIN) ./cmd/diskdb

# Long runs: figures go to $(REPORT) (JSON lines) and RELIABILITY.md.
crashloop: build
	DISKDB_BIN=$(CURDIR)/$(BIN) RELIABILITY_CRASH_ITERS=100 RELIABILITY_WORKERS=16 RELIABILITY_REPORT=$(REPORT) \
		$(GO) test -count=1 -v -timeout 120m -run 'TestCrashLoop' $(REL)

soak: build
	DISKDB_BIN=$(CURDIR)/$(BIN) RELIABILITY_SOAK_DURATION=$${SOAK:-30m} RELIABILITY_SOAK_EVERY=1m RELIABILITY_REPORT=$(REPORT) \
		$(GO) test -count=1 -v -timeout 120m -run 'TestSoak' $(REL)

fuzznet: build
	DISKDB_BIN=$(CURDIR)/$(BIN) RELIABILITY_FUZZ_DURATION=$${FUZZ:-5m} RELIABILITY_SLOWLORIS_DURATION=60s \
		RELIABILITY_NONREADER_DURATION=10s RELIABILITY_REPORT=$(REPORT) \
		$(GO) test -count=1 -v -timeout 60m -run 'TestHostile' $(REL)

fulldisk: build
	DISKDB_BIN=$(CURDIR)/$(BIN) RELIABILITY_REPORT=$(REPORT) \
		$(GO) test -count=1 -v -timeout 10m -run 'TestFullDisk|TestCorrupt|TestTorn' $(REL)

# Read-backs of every worker's keys while the server runs, against the
# -race server (LIVE=10m for longer).
livecheck: race-build
	DISKDB_BIN=$(CURDIR)/$(RACE_BIN) RELIABILITY_LIVE_DURATION=$${LIVE:-2m} RELIABILITY_LIVE_WORKERS=12 \
		$(GO) test -count=1 -v -timeout 60m -run 'TestLiveConsistency' $(REL)

# go test -race over the in-process packages (executor, backends, command
# layer units), then the compat suite (RACE_COMPAT selects tests) and the
# reliability loads against a -race server: any GORACE report of the
# server fails the target and is printed. Compat failures under -race
# (timing checks run slower) are shown, not fatal: this target is about races.
race: race-build
	rm -rf $(RACE_LOGS) && mkdir -p $(RACE_LOGS)
	$(GO) test -race -count=1 -timeout 30m ./store/ ./proto/ ./loop/ ./store/command/
	GORACE="log_path=$(RACE_LOGS)/race halt_on_error=0" DISKDB_BIN=$(CURDIR)/$(RACE_BIN) \
		$(GO) test -count=1 -timeout 60m -run '$(RACE_COMPAT)' ./store/command/compat || true
	GORACE="log_path=$(RACE_LOGS)/race halt_on_error=0" DISKDB_BIN=$(CURDIR)/$(RACE_BIN) DISKDB_RACE_BIN=$(CURDIR)/$(RACE_BIN) \
		RELIABILITY_RACE_DURATION=60s RELIABILITY_FUZZ_DURATION=30s \
		$(GO) test -count=1 -v -timeout 30m -run 'TestServerUnderRaceDetector|TestHostileFuzzNet|TestCrashLoop|TestSoak' $(REL)
	@if ls $(RACE_LOGS)/race.* >/dev/null 2>&1; then cat $(RACE_LOGS)/race.*; echo "make race: data races found (above)"; exit 1; fi
	@echo "make race: no data race reported"

fmt:
	gofmt -w $$(git ls-files '*.go')

vet: deps
	$(GO) vet ./...

clean:
	rm -rf bin
