import Foundation
import IOCCore
import IOCQuery
import IOCSimulator
import IOCStore
import TestSupport
import Testing

/// The built `iocd` and `ioc` binaries against the simulator on loopback, with a real store file.
@Suite struct DaemonEndToEndTests {
    /// The latest samples for `selector`; none while the daemon has not created the store yet.
    func latest(_ path: String, _ selector: String) throws -> [LabeledSample] {
        guard let reader = try? StoreReader(path: path) else { return [] }
        return try InstantQuery(parsing: selector).evaluate(at: WallClock.nowMilliseconds(), on: reader)
    }

    /// A configuration directory whose probe file points at `simulator`'s endpoints and feeds.
    func daemonDirectory(probing simulator: Simulator, interval: String, timeout: String) throws
        -> (directory: TemporaryDirectory, config: String)
    {
        let directory = try TemporaryDirectory()
        let config = try directory.write("iocd.yaml", "storage:\n  path: ioc.db\nprobe_files:\n  - probes/*.yaml\n")
        try directory.write(
            "probes/simulator.yaml",
            simulator.world.probeFile(baseURL: simulator.baseURL, interval: interval, timeout: timeout))
        return (directory, config)
    }

    @Test func aBadConfigExitsWithAClearErrorAndNeverTouchesTheStore() async throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("iocd.yaml", "storage:\n  path: ioc.db\n")
        try directory.write(
            "probes/x.yaml",
            "groups:\n  - name: a\n    targets:\n      - url: http://127.0.0.1:1/\n        intervl: 5s\n")
        let result = try await TestProcess.run(try BuiltProduct.path("iocd"), ["--config", config])
        #expect(result.status == 78)
        #expect(
            result.stderr.contains("\(directory.file("probes/x.yaml")):5:9: unknown key 'intervl'"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("ioc.db")))

        // The same error as a JSON line, and as the old flag's spelling still reads.
        let json = try await TestProcess.run(
            try BuiltProduct.path("iocd"), ["--config", config, "--log.format", "json", "--log-level", "info"])
        #expect(json.status == 78)
        let line = json.stderr.split(separator: "\n").last.map(String.init) ?? ""
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
        #expect(object?["level"] == "critical" && object?["msg"]?.contains("unknown key 'intervl'") == true, "\(line)")
        let badFormat = try await TestProcess.run(try BuiltProduct.path("iocd"), ["--log.format", "xml"])
        #expect(badFormat.status == 64 && badFormat.stderr.contains("logfmt or json"))

        let check = try await TestProcess.run(try BuiltProduct.path("ioc"), ["check", "--config", config])
        #expect(check.status == 78)
        #expect(check.stderr.contains("x.yaml:5:9: unknown key 'intervl'"))
    }

    @Test func theDaemonProbesTheSimulatorAndIocQueriesTheResult() async throws {
        let closed = ClosedPort()
        defer { withExtendedLifetime(closed) {} }
        let simulator = try await Simulator(world: .demo())
        let (directory, config) = try daemonDirectory(probing: simulator, interval: "2s", timeout: "1500ms")
        // An unreachable target is data, not a crash.
        try directory.write(
            "probes/unreachable.yaml",
            "groups:\n  - name: gone\n    interval: 1s\n    timeout: 500ms\n    targets:\n      - url: http://127.0.0.1:\(closed.number)/\n"
        )
        // A malformed feed is a counted, logged scrape error, not a crash.
        try directory.write(
            "probes/broken.yaml",
            "groups:\n  - name: broken-feed\n    interval: 1s\n    timeout: 500ms\n    targets:\n"
                + "      - feed: \(simulator.baseURL)/test/feed/bad-escape\n")
        let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
        let store = directory.file("ioc.db")

        let targetCount = simulator.world.provinces.count * simulator.world.services.count + 1
        let complete = try await waitUntil(timeout: .seconds(20)) {
            try latest(store, "probe_success").count == targetCount
        }
        #expect(complete, "iocd output: \(daemon.standardError)")
        let results = try latest(store, "probe_success")
        let down = results.filter { $0.sample.value == 0 }.map { $0.labels["job"] ?? "" }.sorted()
        #expect(down == ["can-tho", "gone"])
        #expect(daemon.isRunning)
        // The feeds: all four scraped (metrics, dossiers, scorecard, exchange), the JSON ones mapped
        // to series per province (and per period, and per connection).
        let fed = try await waitUntil(timeout: .seconds(10)) {
            try latest(store, #"up{job="feeds"}"#).filter { $0.sample.value == 1 }.count == 4
                && latest(store, #"ioc_dossiers_received{province="Huế"}"#).count == 1
                && latest(store, #"dvc_dossiers_received{province="Huế"}"#).count == 2
                && latest(store, #"exchange_records_total{province="Huế"}"#).count == 3
        }
        #expect(fed)
        // The feed's metadata is kept with its series.
        let described = try await waitUntil(timeout: .seconds(5)) {
            try StoreReader(path: store).metadata()["ioc_sim_dossiers_received_total"]?.type == "counter"
        }
        #expect(described)
        #expect(try latest(store, #"up{job="broken-feed"}"#).map(\.sample.value) == [0])
        let logged = await waitUntil(timeout: .seconds(5)) {
            daemon.standardError.contains("reason=parse") && daemon.standardError.contains("bad escape")
        }
        #expect(logged, "\(daemon.standardError)")
        // The start in a few lines: the round of first probes in one, the failing targets each with
        // its reason, no line for each target that is up.
        let logLines = daemon.standardError.split(separator: "\n")
        #expect(
            logLines.filter { $0.contains(#"msg="every target probed once""#) }.count == 1, "\(daemon.standardError)")
        #expect(!logLines.contains { $0.contains(#"msg="target up""#) })
        #expect(logLines.filter { $0.contains(#"msg="target down""#) }.count <= 3)
        #expect(
            try latest(store, #"ioc_sim_dossiers_received_total{job="feeds"}"#).count == simulator.world.provinces.count
        )

        let query = try await TestProcess.run(
            try BuiltProduct.path("ioc"), ["query", #"probe_success{province="Huế"}"#], environment: ["IOC_DB": store])
        #expect(query.status == 0)
        let lines = query.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(
            lines.allSatisfy {
                $0.hasPrefix("probe_success{") && $0.contains(#"province="Huế""#) && $0.contains("=> 1 @[")
            })

        let labels = try await TestProcess.run(try BuiltProduct.path("ioc"), ["labels", "province", "--db", store])
        #expect(labels.status == 0)
        #expect(labels.stdout.split(separator: "\n").map(String.init) == simulator.world.provinces.map(\.name).sorted())

        let snapshot = try await TestProcess.run(
            try BuiltProduct.path("ioc"), ["dashboard", "--db", store, "--snapshot", "120x30"])
        #expect(snapshot.status == 0)
        #expect(snapshot.stdout.contains("\(targetCount) targets"))
        #expect(snapshot.stdout.contains("Hồ Chí Minh"))

        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        #expect(daemon.standardError.contains("iocd stopped"))
        #expect(daemon.standardError.contains("scrapes_failed="))
        await simulator.stop()
    }

    @Test func iocQueryExplainsABadSelector() async throws {
        let result = try await TestProcess.run(
            try BuiltProduct.path("ioc"), ["query", "--db", "/nonexistent.db", "up{job}"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("expected '=', '!=', '=~' or '!~'"))
        #expect(result.stderr.contains("^"))
    }

    /// kill -9 in the middle of ingest, three times over the same store: the file stays sound and
    /// every sample a reader saw before the kill is still there.
    @Test func aKilledDaemonLosesNothingThatWasCommitted() async throws {
        let simulator = try await Simulator(world: .demo())
        let (directory, config) = try daemonDirectory(probing: simulator, interval: "1s", timeout: "900ms")
        let store = directory.file("ioc.db")
        func seen() throws -> [Labels: [Sample]] {
            guard let reader = try? StoreReader(path: store) else { return [:] }
            let series = try reader.select(
                [try LabelMatcher("__name__", .equal, "probe_success")], from: .min, through: .max)
            return Dictionary(uniqueKeysWithValues: series.map { ($0.labels, $0.samples) })
        }
        var before = 0
        for round in 1...3 {
            let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            // Let it write for a while: more samples than at the start of this round.
            let grew = try await waitUntil(timeout: .seconds(20)) {
                try seen().values.reduce(0) { $0 + $1.count } >= before + 30
            }
            #expect(grew, "round \(round): \(daemon.standardError)")
            let committed = try seen()
            daemon.signal(SIGKILL)
            _ = await daemon.exitStatus()
            #expect(sqliteIntegrityCheck(store) == "ok")
            let after = try seen()
            for (labels, samples) in committed {
                let kept = after[labels] ?? []
                let lost = Set(samples.map(\.timestamp)).subtracting(kept.map(\.timestamp))
                #expect(lost.isEmpty, "round \(round): \(lost.count) committed samples of \(labels) lost")
            }
            before = after.values.reduce(0) { $0 + $1.count }
        }
        await simulator.stop()
    }

    /// A store the daemon may not write (a file and directory without write permission, and for root
    /// no CAP_DAC_OVERRIDE to pass over that): a clear error at start, and the file left as it was.
    @Test func aReadOnlyStoreIsAClearErrorAndIsLeftAlone() async throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("iocd.yaml", "storage:\n  path: ioc.db\n")
        let store = directory.file("ioc.db")
        let writer = try SampleWriter(path: store)
        writer.append([
            LabeledSample(labels: Labels(["__name__": "up", "job": "a"]), sample: Sample(timestamp: 1, value: 1))
        ])
        await writer.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: store))
        // The writer keeps its -wal and -shm files (for read-only readers); iocd must not touch them.
        let walBefore = try? Data(contentsOf: URL(fileURLWithPath: store + "-wal"))
        #expect(chmod(store, 0o444) == 0 && chmod(directory.path, 0o555) == 0)
        defer { chmod(directory.path, 0o755) }
        let iocd = try BuiltProduct.path("iocd")
        let result =
            geteuid() == 0
            ? try await TestProcess.run(
                "/usr/bin/setpriv",
                ["--bounding-set=-dac_override,-fowner", "--inh-caps=-all", iocd, "--config", config])
            : try await TestProcess.run(iocd, ["--config", config])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("read-only"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: store)) == before)
        #expect((try? Data(contentsOf: URL(fileURLWithPath: store + "-wal"))) == walBefore)
    }

    /// A full disk (here a file-size limit, as `ulimit -f` sets it): one clear error in the log, probing
    /// goes on, what cannot be stored is dropped and counted, and the file stays sound.
    @Test func aFullDiskIsLoggedCountedAndSurvived() async throws {
        let simulator = try await Simulator(world: .demo())
        let (directory, config) = try daemonDirectory(probing: simulator, interval: "1s", timeout: "900ms")
        // 400 blocks of 512 bytes: room for the schema and a few commits, then writes fail with EFBIG.
        let daemon = try TestProcess(
            "/bin/sh",
            ["-c", "ulimit -f 400; trap '' XFSZ; exec '\(try BuiltProduct.path("iocd"))' --config '\(config)'"])
        let failing = await waitUntil(timeout: .seconds(30)) { daemon.standardError.contains("cannot write the store") }
        #expect(failing, "\(daemon.standardError)")
        // It goes on probing: two more rounds of every target after the store failed.
        let before = simulator.world.healthRequests
        let probing = await waitUntil(timeout: .seconds(10)) { simulator.world.healthRequests >= before + 30 }
        #expect(probing)
        #expect(daemon.isRunning)
        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus() == 0)
        let log = daemon.standardError
        #expect(log.components(separatedBy: "cannot write the store").count == 2, "one error line, not one per commit")
        #expect(log.contains("failed_commits=") && !log.contains("failed_commits=0 "))
        #expect(!log.contains("samples_dropped=0 "))
        #expect(sqliteIntegrityCheck(directory.file("ioc.db")) == "ok")
        await simulator.stop()
    }
}
