# DiskDB build. Every target installs what it needs (Debian/Ubuntu: apt).
#
#   make run     build and start the server (data in ./data, port 6380)
#   make test    install what is missing and run every test
#   make bench   side-by-side benchmarks against redis-server (~10-15 min;
#                `make bench-quick` is a 2-minute smoke run; flags: BENCH_ARGS=...)

GO      ?= go
# giouring links only with the linkname check off on Go >= 1.23.
export GOFLAGS := -ldflags=-checklinkname=0
export CGO_ENABLED := 1

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_STAMP := .deps-ok

BIN := bin/diskdb
TEST_TIMEOUT ?= 25m
DIR ?= ./data
ARGS ?=
BENCH_ARGS ?=

.PHONY: all build run test test-short bench bench-quick bench-tool fmt vet deps clean fuzz

all: build

# deps installs RocksDB's headers and libraries (cgo) and, for the tests and
# benchmarks, the reference redis-server and redis-tools.
deps:
	@if [ ! -f /usr/include/rocksdb/c.h ] || ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null || ! command -v redis-benchmark >/dev/null; then \
		echo ">> installing librocksdb-dev redis-server redis-tools (apt)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq librocksdb-dev redis-server redis-tools >/dev/null; \
	fi
	@command -v $(GO) >/dev/null || { echo "Go is required (https://go.dev/dl)"; exit 1; }

build: deps
	$(GO) build -o $(BIN) ./cmd/diskdb

run: build
	./$(BIN) --dir $(DIR) $(ARGS)

# The whole suite: unit, fuzz seeds, executor on real RocksDB, the
# compatibility suite over TCP against the real binary, differential runs
# against redis-server, durability (kill -9) and hostile-input tests; the
# compatibility suite once more over io_uring (skipped, saying so, where the
# kernel refuses it).
test: build
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	DISKDB_BIN=$(CURDIR)/$(BIN) DISKDB_IO=epoll $(GO) test -timeout $(TEST_TIMEOUT) ./...
	DISKDB_BIN=$(CURDIR)/$(BIN) DISKDB_IO=uring $(GO) test -timeout $(TEST_TIMEOUT) ./store/command/compat

test-short: build
	DISKDB_BIN=$(CURDIR)/$(BIN) $(GO) test -short -timeout $(TEST_TIMEOUT) ./...

fuzz: deps
	$(GO) test ./proto -run XXX -fuzz FuzzReadCommand -fuzztime 60s

# Side by side against redis-server (deps installs redis-server and
# redis-tools, which has redis-benchmark). Reports go to bench/results/;
# see BENCHMARKS.md for the method and BENCH_ARGS (e.g. --runs 5,
# --only 'everysec/', --memory-keys 20000000, --dir /path/on/a/real/disk).
bench: deps build bench-tool
	./bin/diskdb-bench sidebyside --server $(CURDIR)/$(BIN) $(BENCH_ARGS)

bench-quick: deps build bench-tool
	./bin/diskdb-bench sidebyside --server $(CURDIR)/$(BIN) --quick $(BENCH_ARGS)

bench-tool: deps
	$(GO) build -o bin/diskdb-bench ./cmd/diskdb-bench

fmt:
	gofmt -w $$(git ls-files '*.go')

vet: deps
	$(GO) vet ./...

clean:
	rm -rf bin
