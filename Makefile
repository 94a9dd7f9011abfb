# Herald: build, test, demo and benchmarks. Every target installs what it needs first.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
PYTHON ?= python3
SWIFT_BUILD_FLAGS ?=
BIN_DEBUG = $(shell swift build --show-bin-path 2>/dev/null)
BIN_RELEASE = $(shell swift build -c release --show-bin-path 2>/dev/null)

.PHONY: deps build build-release generate check-generated lint-protos test test-swift test-python test-leaks demo serve bench-grpc bench-store bench-prepare bench-ledger bench-send bench-tokens bench-track bench-compose clean

deps:
	@scripts/install-deps

build: deps
	swift build $(SWIFT_BUILD_FLAGS)

build-release: deps
	swift build -c release $(SWIFT_BUILD_FLAGS)

## Regenerate protoc-c output, Swift message types and the reflection descriptor set.
generate: deps
	scripts/generate

## Fails when the committed generated code is not what scripts/generate produces.
check-generated: deps
	scripts/generate --check

lint-protos: deps
	cd Protos && buf lint

test: deps check-generated lint-protos build test-swift test-python test-leaks

# Serial: the suites include timing-sensitive loopback tests and CPU-heavy property
# tests; in parallel on 2 cores the latter starve the former.
test-swift: build
	swift test --no-parallel $(SWIFT_BUILD_FLAGS)

# A test that fails with DEADLINE_EXCEEDED runs once more: a WatchPreparation stream
# was once seen not to end within 120 s in a full run (never alone, in dozens of runs);
# the cause is being investigated and the rerun is reported in pytest's summary.
test-python: build
	HERALD_BIN_DIR=$(BIN_DEBUG) $(PYTHON) -m pytest -q -p no:cacheprovider -rR --reruns 1 --only-rerun DEADLINE_EXCEEDED Tests/Interop

test-leaks: build
	scripts/leak-check $(BIN_DEBUG)

## The main job (`herald demo`): heraldd with its embedded defaults in a temporary folder,
## 20,000 profiles imported, a delivery prepared and sent with the CLI's live views while a
## simulated audience opens and clicks; a summary; heraldd stopped.
demo: build-release
	$(BIN_RELEASE)/herald demo

## heraldd in the foreground with its embedded defaults (./herald.sqlite, ./outbox).
serve: build-release
	$(BIN_RELEASE)/heraldd

bench-grpc: build-release
	Benchmarks/grpc/run $(BIN_RELEASE)

## 1,000,000 profiles through UpsertProfiles vs sqlite3 .import of the same CSV; CountAudience; peak RSS.
bench-store: build-release
	Benchmarks/store/run $(BIN_RELEASE)

## A preparation of 1,000,000 SQLite profiles at the engine level (release): each phase's
## time, the floors (audience counted by SQLite, render loop alone), peak RSS, stop latency.
## BENCH_PREPARE_ARGS: [profiles] [database path] (the database is built once and reused).
BENCH_PREPARE_ARGS ?=
bench-prepare: build-release
	$(BIN_RELEASE)/HeraldBenchPrepare $(BENCH_PREPARE_ARGS)

## The store's cost per sent message on a real SQLite file (release, no gRPC or SMTP):
## 100,000 SENT updates in group commits of 2, 4 and 8 from 2 tasks beside 4 earlier SENT
## deliveries (µs CPU and wall, context switches, bytes written and log frames per
## transaction, checkpoints, largest log, B-tree pages), the sender's batch reads per
## message and the pressure query per profile. BENCH_LEDGER_ARGS: [messages] [tasks]
## [read batch]; HERALD_BENCH_GROUPS, HERALD_BENCH_HISTORY (Benchmarks/ledger/main.swift).
BENCH_LEDGER_ARGS ?=
bench-ledger: build-release
	$(BIN_RELEASE)/HeraldBenchLedger $(BENCH_LEDGER_ARGS)

## 100,000 prepared ~4 KB messages from a release heraldd to Postfix's smtp-sink, beside
## smtp-source with the same number of reused sessions to the same sink (the floor):
## both rates, the ratio (target >= 0.8x), heraldd's peak RSS. HERALD_BENCH_COUNT,
## HERALD_BENCH_SESSIONS, HERALD_BENCH_PERF=1 (see Benchmarks/send/run).
bench-send: build-release
	Benchmarks/send/run $(BIN_RELEASE)

## HMAC tracking tokens: ns per token (make, append, verify) and per rendered message
## with 6 tracking URLs, signed vs unsigned (release, one core).
bench-tokens: build-release
	$(BIN_RELEASE)/HeraldBenchTokens

## Composing a message (rendered content to RFC 5322 bytes) in bench-send's shape: ns per
## message for MailComposer, the reference writer and a plain copy; then bench-send's
## delivery: render, unsubscribe URL, compose, and all three (release, one core).
bench-compose: deps
	swift build -c release --product HeraldBenchCompose
	$(BIN_RELEASE)/HeraldBenchCompose

## Tracking under wrk (GET /o/{token} over 100,000 recipients) while 1,000 WatchKpis
## streams watch from one client: requests/s, p50/p99 event-to-update delay, peak RSS.
bench-track: build-release
	Benchmarks/track/run $(BIN_RELEASE)

clean:
	rm -rf .build
