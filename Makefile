# wampd's front door: make build | run | test | bench | fuzz | deps (| bench-nats | pgo | icount).
# `make test` is the whole check CI runs (.ci/run): it installs the interop
# clients, vets, runs every test with -race and gives every Fuzz target a
# short pass.

GO        ?= go
FUZZTIME  ?= 5s
# `make fuzz` runs every target for this long instead.
LONGFUZZ  ?= 2m
JSDIR     := cmd/wampd/testdata/interop/js
APT_PKGS  := python3-autobahn python3-msgpack python3-cbor2 python3-nacl chromium
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build run test vet race allocs fuzz-short fuzz bench deps clean

all: build

## build: both binaries into bin/
build:
	$(GO) build -o bin/wampd ./cmd/wampd
	$(GO) build -o bin/wampbench ./cmd/wampbench

## run: the router with its embedded default configuration
run:
	$(GO) run ./cmd/wampd

## test: deps, vet, race tests (interop included), a short fuzz pass
test: deps vet race allocs fuzz-short

# staticcheck runs from the module proxy at a pinned version (no install
# step): `go run` builds it once into the Go cache.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) run $(STATICCHECK) ./...

# Test binaries are built without the PGO profiles (-pgo=off): with them, each
# main package's tests would compile the standard library and every dependency
# once more per profile, minutes on a fresh machine, for no change in behaviour.
# The wampd binary the interop tests start is built as shipped, with its profile.
race:
	$(GO) test -race -pgo=off -count=1 -timeout 12m ./...

## allocs: without -race (which defeats pools), the 0-allocs/op tests of the hot
## paths (TestHotPathAllocs in codec and realm) plus one pass of every benchmark
allocs:
	$(GO) test -pgo=off -count=1 -run 'Allocs$$' -bench . -benchtime 1x -timeout 5m ./...

## fuzz-short: every Fuzz target of every package for $(FUZZTIME)
fuzz-short:
	@$(MAKE) --no-print-directory fuzz-all FUZZTIME=$(FUZZTIME)

## fuzz: every Fuzz target for $(LONGFUZZ)
fuzz:
	@$(MAKE) --no-print-directory fuzz-all FUZZTIME=$(LONGFUZZ)

.PHONY: fuzz-all
# Go's fuzzer can end a clean time-bounded run with "context deadline exceeded"
# and no failing input (a known flake of the coordinator at the deadline); such a
# run is retried once. A real finding ("Failing input written to ...") fails.
fuzz-all:
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			for try in 1 2; do \
				echo "fuzz $$pkg $$target ($(FUZZTIME), try $$try)"; \
				if $(GO) test -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) $$pkg >$$log 2>&1; then \
					cat $$log; break; \
				fi; \
				cat $$log; \
				if [ $$try = 1 ] && grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then \
					echo "fuzz: deadline flake without a failing input; retrying"; continue; \
				fi; \
				exit 1; \
			done; \
		done; \
	done

## bench: the short standard wampbench set against a freshly started wampd
## (bench/standard.sh: JSON, report.html and wampd.log in $(BENCHOUT)); prints the table;
## then wampd against nats-server (bench-nats)
BENCHOUT  ?= bench-results
bench:
	GO=$(GO) sh bench/standard.sh $(BENCHOUT)
	@$(MAKE) --no-print-directory bench-nats

## bench-nats: wampd and nats-server side by side on the shapes of issue #11
## (fan-out 1->100 and 1->1,000 flat out and at NATSRATE, pub/sub 1->1, request/reply
## 1x1 and 8x16; wampbench compare, about a minute): one markdown table, every run's
## JSON in $(BENCHOUT)/nats. NATSFLAGS adds flags, e.g. --wampd-config examples/telemetry.yaml
NATSDURATION ?= 2s
NATSWARMUP   ?= 1s
NATSRATE     ?= 200
NATSFLAGS    ?=
.PHONY: bench-nats
bench-nats:
	$(GO) build -o $(BENCHOUT)/wampd ./cmd/wampd
	$(GO) build -o $(BENCHOUT)/wampbench ./cmd/wampbench
	$(BENCHOUT)/wampbench compare --wampd $(BENCHOUT)/wampd --out $(BENCHOUT)/nats --quiet \
		--duration $(NATSDURATION) --warmup $(NATSWARMUP) --rate $(NATSRATE) $(NATSFLAGS)

## bench-full: every target of the performance issue against fresh wampd
## processes, each next to the raw ceiling measured in the same run; writes the
## pass/fail table into docs/benchmarks.md and every run's JSON into
## $(BENCHOUT)/full (several minutes; not part of CI)
.PHONY: bench-full
bench-full:
	$(GO) build -o bin/wampd ./cmd/wampd
	$(GO) build -o bin/wampbench ./cmd/wampbench
	bin/wampbench full --wampd bin/wampd --go $(GO) --out $(BENCHOUT)/full --doc docs/benchmarks.md

## pgo: new profile-guided-optimization profiles (cmd/wampd/default.pgo and
## cmd/wampbench/default.pgo, which go build uses by itself) from the benchmark
## workloads (bench/pgo.sh, about a minute)
.PHONY: pgo
pgo:
	GO=$(GO) sh bench/pgo.sh

## icount: instructions per op of the hot-path benchmarks under callgrind, a
## figure the machine's load does not move (bench/icount.sh; needs valgrind)
.PHONY: icount
icount:
	GO=$(GO) sh bench/icount.sh

## bench-go: every Go benchmark with allocation counts
.PHONY: bench-go
bench-go:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## deps: interop clients (Debian python3-autobahn & co., npm autobahn) and Go modules
deps:
	@if dpkg -s $(APT_PKGS) >/dev/null 2>&1; then \
		echo "apt: $(APT_PKGS) already installed"; \
	else \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(APT_PKGS); \
	fi
	cd $(JSDIR) && npm ci --no-audit --no-fund
	$(GO) mod download

clean:
	rm -rf bin
