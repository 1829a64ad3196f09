# IOC: the two commands of the README, and the pieces they are made of.
#   make demo   installs what is missing, builds, runs simulator + daemon + dashboard
#   make test   installs what is missing, builds, runs the whole test suite

SWIFT ?= swift
# Needed to build: pkg-config finds libcurl and SQLite for the C modules.
BUILD_PACKAGES := pkg-config libcurl4-openssl-dev libsqlite3-dev
# Needed by the tests: tmux is the real terminal the dashboard tests drive; nginx is the real TLS
# server of the TLS probe tests, with certificates made by openssl; prometheus brings promtool,
# which must read what `ioc export` writes and give the rule unit tests the same verdicts;
# rsyslog and prometheus-alertmanager receive the alerts of the notification tests (curl asks
# Alertmanager what it got).
TEST_PACKAGES := tmux nginx openssl prometheus rsyslog prometheus-alertmanager curl

.PHONY: all build test demo bench deps test-deps format lint clean

all: build

deps:
	@scripts/install-packages.sh $(BUILD_PACKAGES)

test-deps:
	@scripts/install-packages.sh $(BUILD_PACKAGES) $(TEST_PACKAGES)

build: deps
	$(SWIFT) build

# The executables are built first: the end-to-end tests run them.
test: test-deps
	$(SWIFT) build
	$(SWIFT) test

demo: build
	@scripts/demo.sh

# The probe engine's figures (BENCHMARKS.md): a release build, each run in a fresh process, medians
# of BENCH_RUNS runs of BENCH_SECONDS each. About ten minutes with the defaults.
BENCH_RUNS ?= 3
BENCH_SECONDS ?= 30
bench: deps
	$(SWIFT) build -c release --product ioc-bench
	"$$($(SWIFT) build -c release --show-bin-path)/ioc-bench" all --runs $(BENCH_RUNS) --duration $(BENCH_SECONDS)

format:
	$(SWIFT) format -i -r Sources Tests Package.swift

lint:
	$(SWIFT) format lint -r --strict Sources Tests Package.swift

clean:
	rm -rf .build
