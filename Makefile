# IOC: the two commands of the README, and the pieces they are made of.
#   make demo   installs what is missing, builds, runs simulator + daemon + dashboard
#   make test   installs what is missing, builds, runs the whole test suite

SWIFT ?= swift
# Every target must declare in Package.swift each module it imports: a missing one is an error.
SWIFT_FLAGS ?= --explicit-target-dependency-import-check error
# Needed to build: pkg-config finds libcurl and SQLite for the C modules; libre2 matches regular
# expressions in linear time; iocd allocates with jemalloc.
BUILD_PACKAGES := pkg-config libcurl4-openssl-dev libsqlite3-dev libre2-dev libjemalloc-dev
# Needed by the tests: tmux is the real terminal the dashboard tests drive; nginx is the real TLS
# server of the TLS probe tests, with certificates made by openssl; prometheus brings promtool,
# which must read what `ioc export` writes and give the rule unit tests the same verdicts;
# rsyslog and prometheus-alertmanager receive the alerts of the notification tests (curl asks
# Alertmanager what it got); systemd brings systemd-analyze, which checks the unit.
TEST_PACKAGES := tmux nginx openssl prometheus rsyslog prometheus-alertmanager curl systemd lintian python3-aiosmtpd victoria-metrics
# Needed to build the Debian package: dpkg-shlibdeps (dpkg-dev), strip (binutils), python3 for the
# man pages, man-db to read them; adduser is what the package's postinst creates the user with.
DEB_PACKAGES := dpkg-dev binutils python3 man-db adduser

.PHONY: all build test demo demo-national bench fuzz deps test-deps deb stamp format lint clean install uninstall

all: build

deps:
	@scripts/install-packages.sh $(BUILD_PACKAGES)

test-deps:
	@scripts/install-packages.sh $(BUILD_PACKAGES) $(TEST_PACKAGES) $(DEB_PACKAGES)

# What --version reports of the build (revision, its date, the compiler): Sources/CBuildInfo/build_stamp.h.
stamp:
	@SWIFT=$(SWIFT) scripts/stamp-build.sh

build: deps stamp
	$(SWIFT) build $(SWIFT_FLAGS)

# The executables are built first: the end-to-end tests run them. The package is built once here
# (a release build with the Swift runtime linked in) and its test installs it (IOC_DEB).
test: test-deps stamp
	$(SWIFT) build $(SWIFT_FLAGS)
	@mkdir -p .build/deb
	SWIFT=$(SWIFT) OUT_DIR=.build/deb scripts/build-deb.sh > .build/deb/path
	IOC_DEB="$$(cat .build/deb/path)" $(SWIFT) test $(SWIFT_FLAGS)

# ioc_VERSION_ARCH.deb in the repository (scripts/build-deb.sh; OUT_DIR=DIR elsewhere): binaries with
# the Swift runtime linked in, man pages, completions, the unit; `make install` stays for sources.
deb: deps stamp
	@scripts/install-packages.sh $(DEB_PACKAGES)
	@SWIFT=$(SWIFT) scripts/build-deb.sh

# With IOC_BIN=DIR, the binaries already built in DIR (the tests run make demo so), without building.
demo: $(if $(IOC_BIN),,build)
	@IOC_BIN="$(IOC_BIN)" scripts/demo.sh

# A national centre on one machine: VictoriaMetrics from Debian, six provincial iocd, the national
# iocd (rules over VictoriaMetrics) and the national dashboard. q stops everything.
demo-national: $(if $(IOC_BIN),,build)
	@scripts/install-packages.sh victoria-metrics python3 curl
	@IOC_BIN="$(IOC_BIN)" scripts/demo-national.sh

# The probe engine's figures (BENCHMARKS.md): a release build, each run in a fresh process, medians
# of BENCH_RUNS runs of BENCH_SECONDS each. About ten minutes with the defaults.
# Then CPU per probe against Prometheus + blackbox_exporter on the same nginx farm, in the same run.
BENCH_RUNS ?= 3
BENCH_SECONDS ?= 30
BENCH_PACKAGES := nginx prometheus prometheus-blackbox-exporter curl
bench: deps stamp
	@scripts/install-packages.sh $(BENCH_PACKAGES)
	$(SWIFT) build -c release
	"$$($(SWIFT) build -c release --show-bin-path)/ioc-bench" all --runs $(BENCH_RUNS) --duration $(BENCH_SECONDS)
	IOC_BIN="$$($(SWIFT) build -c release --show-bin-path)" Benchmarks/Probes/peer-cpu.sh 2000 60

# Every parser of outside input under libFuzzer for FUZZ_SECONDS in all (FUZZING.md). A build of its
# own (.build-fuzz, with AddressSanitizer and coverage), then each target for its share of the time.
FUZZ_SECONDS ?= 600
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) scripts/fuzz.sh

format:
	$(SWIFT) format -i -r Sources Tests Package.swift

lint:
	$(SWIFT) format lint -r --strict Sources Tests Package.swift

clean:
	rm -rf .build .build-fuzz

# make install: the binaries, the unit, and the example configuration, probes, rules and dashboards.
# An administrator's files in $(SYSCONFDIR)/iocd are never overwritten: the examples are always in
# $(PREFIX)/share/ioc/examples, and copied to $(SYSCONFDIR)/iocd only where a file is missing.
# DESTDIR stages the whole tree elsewhere (packaging, tests); CONFIGURATION=debug installs the debug
# build; IOC_BIN=DIR installs the binaries already built in DIR, without building.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
UNITDIR ?= /etc/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
# Whether to create the system user and group iocd now: auto does when root, installing for real
# (no DESTDIR); a package creates them in its postinst instead.
IOC_CREATE_USER ?= auto
CONFIGURATION ?= release
EXAMPLES := iocd.yaml probes rules dashboards
# Examples that go to $(PREFIX)/share/ioc/examples only: probes/example.yaml probes the built-in
# simulator on 127.0.0.1:17000 as if it were Huế, which a real centre must not do by default.
SIMULATOR_EXAMPLES := probes/example.yaml

install: stamp
	@if [ -z "$(IOC_BIN)" ]; then \
		$(SWIFT) build -c $(CONFIGURATION) --product iocd && $(SWIFT) build -c $(CONFIGURATION) --product ioc; fi
	@bin="$(IOC_BIN)"; [ -n "$$bin" ] || bin="$$($(SWIFT) build -c $(CONFIGURATION) --show-bin-path)"; \
	install -D -m 0755 "$$bin/iocd" "$(DESTDIR)$(PREFIX)/bin/iocd"; \
	install -D -m 0755 "$$bin/ioc" "$(DESTDIR)$(PREFIX)/bin/ioc"
	install -D -m 0644 systemd/iocd.service "$(DESTDIR)$(UNITDIR)/iocd.service"
	sed -i 's|/usr/local/bin/|$(PREFIX)/bin/|g; s|/usr/local/share/|$(PREFIX)/share/|g; s|/etc/iocd/|$(SYSCONFDIR)/iocd/|g' "$(DESTDIR)$(UNITDIR)/iocd.service"
	install -D -m 0644 systemd/iocd.sysusers "$(DESTDIR)$(SYSUSERSDIR)/iocd.conf"
	@if [ "$(IOC_CREATE_USER)" = yes ] || { [ "$(IOC_CREATE_USER)" = auto ] && [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; }; then \
		if command -v systemd-sysusers >/dev/null; then systemd-sysusers "$(DESTDIR)$(SYSUSERSDIR)/iocd.conf"; \
		elif ! getent passwd iocd >/dev/null; then \
			useradd --system --user-group --home-dir /var/lib/iocd --no-create-home --shell /usr/sbin/nologin iocd; fi; \
		echo "System user and group iocd ready; operators who may read the store: usermod -aG iocd NAME"; fi
	install -D -m 0644 README.md "$(DESTDIR)$(PREFIX)/share/doc/ioc/README.md"
	@mkdir -p "$(DESTDIR)$(PREFIX)/share/ioc/examples" "$(DESTDIR)$(SYSCONFDIR)/iocd"
	cp -R $(EXAMPLES) "$(DESTDIR)$(PREFIX)/share/ioc/examples/"
	@cd "$(DESTDIR)$(PREFIX)/share/ioc/examples" && find $(EXAMPLES) -type f | while read -r file; do \
		case " $(SIMULATOR_EXAMPLES) " in *" $$file "*) continue ;; esac; \
		target="$(DESTDIR)$(SYSCONFDIR)/iocd/$$file"; \
		if [ -e "$$target" ]; then echo "kept $$target (yours; the new example is in $(PREFIX)/share/ioc/examples/$$file)"; \
		else install -D -m 0644 "$$file" "$$target"; fi; done
	@echo "Installed. Then: systemctl daemon-reload && systemctl enable --now iocd"

# make uninstall: removes what install put outside $(SYSCONFDIR)/iocd; the configuration and the
# store (/var/lib/iocd) are the administrator's and stay, as does the user iocd (its files may).
uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/iocd" "$(DESTDIR)$(PREFIX)/bin/ioc" "$(DESTDIR)$(UNITDIR)/iocd.service" \
		"$(DESTDIR)$(SYSUSERSDIR)/iocd.conf"
	rm -rf "$(DESTDIR)$(PREFIX)/share/ioc" "$(DESTDIR)$(PREFIX)/share/doc/ioc"
	@echo "Removed. Kept $(SYSCONFDIR)/iocd, the store in /var/lib/iocd and the user iocd."
