import CSQLite
import Foundation
import Glibc
import IOCCore
@testable import IOCStore
import TestSupport
import Testing

/// iocd as an attacker meets it: a feed that sends out-of-range times, forged names and oversized
/// labels; unauthenticated requests that once trapped the daemon; a subquery bomb; a store with a
/// record that cannot be replayed. After each, iocd is still up and answering.
@Suite struct HardeningEndToEndTests {
    static func get(_ url: String, _ extra: [String] = []) async throws -> (code: String, body: String) {
        try await APIEndToEndTests.get(url, extra)
    }

    /// A feed with everything a hostile feed might send, and one good sample.
    static let hostileFeed = """
        # HELP good_metric A good metric.
        good_metric 1
        future_metric 1 9223372036854775807
        past_metric 1 -9223372036854775000
        {"forged\\nprobe_success{province=\\"Huế\\"} 0\\nx"} 1
        {"dotted.name"} 2
        long_value{v="\(String(repeating: "x", count: 3000))"} 3
        escape_value{v="\u{1B}[31mred"} 4
        exchange_last_success_timestamp_seconds -1e19

        """

    @Test func aHostileFeedAndHostileRequestsLeaveTheDaemonUpAndItsStoreClean() async throws {
        try await HeavyTests.one {
            let directory = try TemporaryDirectory()
            let sink = try WebhookSink(port: 0, answering: Self.hostileFeed)
            let feedPort = sink.port
            defer { sink.stop() }
            let port = refusedPort()
            let config = try directory.write(
                "iocd.yaml",
                """
                storage: {path: ioc.db}
                probe_files: [probes.yaml]
                http: {listen: '127.0.0.1:\(port)'}
                """)
            try directory.write(
                "probes.yaml",
                "groups:\n  - name: stats\n    interval: 1s\n    timeout: 900ms\n    labels: {province: Huế}\n    targets:\n"
                    + "      - feed: http://127.0.0.1:\(feedPort)/metrics\n")
            let daemon = try TestProcess(
                try BuiltProduct.path("iocd"), ["--config", config, "--query.timeout", "1s"])
            defer { daemon.signal(SIGTERM) }
            let base = "http://127.0.0.1:\(port)"
            let scraped = try await waitUntil(timeout: .seconds(20)) {
                try await Self.get("\(base)/api/v1/query?query=good_metric").body.contains(#""province":"Huế""#)
            }
            #expect(scraped, "\(daemon.standardError)")

            // Refused samples are counted by reason, and logged once.
            let metrics = try await Self.get("\(base)/metrics").body
            for reason in ["out_of_bounds", "invalid_metric_name", "label_value_too_long"] {
                let line = metrics.split(separator: "\n").first {
                    $0.hasPrefix("ioc_samples_rejected_total{reason=\"\(reason)\"}")
                }
                let count = line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
                #expect(count >= 1, "\(reason): \(line ?? "none")")
            }
            #expect(daemon.standardError.contains("feed samples refused"))

            // Nothing the feed sent can forge a line of /federate; a UTF-8 name is quoted.
            let federated = try await Self.get(
                "\(base)/federate", ["-G", "--data-urlencode", #"match[]={job="stats"}"#]
            ).body
            let lines = federated.split(separator: "\n")
            #expect(!lines.contains { $0.hasPrefix("probe_success") }, "\(federated)")
            #expect(lines.contains { $0.hasPrefix(#"{"dotted.name","#) }, "\(federated)")

            // Requests that once stopped the daemon: each is a clear error, and iocd answers on.
            let now = WallClock.nowMilliseconds() / 1000
            let attacks: [[String]] = [
                ["--data-urlencode", "query=up[1000000000y]"],
                ["--data-urlencode", "query=up[1e300]"],
                ["--data-urlencode", "query=up offset 9999999999y"],
                ["--data-urlencode", "query=up", "--data-urlencode", "time=1e17"],
                ["--data-urlencode", "query=up", "--data-urlencode", "time=-9223372036854775"],
                [
                    "--data-urlencode",
                    "query=" + String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000),
                ],
                ["--data-urlencode", "query=" + String(repeating: "-", count: 30_000) + "1"],
                [
                    "--data-urlencode",
                    "query=" + String(repeating: "sum(", count: 8_000) + "up" + String(repeating: ")", count: 8_000),
                ],
                ["--data-urlencode", "query=" + Array(repeating: "1", count: 15_000).joined(separator: "+")],
            ]
            for attack in attacks {
                let answer = try await Self.get("\(base)/api/v1/query", attack)
                #expect(
                    answer.code.hasPrefix("4") && answer.body.contains(#""status":"error""#),
                    "\(attack.last?.prefix(60) ?? ""): \(answer)")
            }
            for range in [
                "start=\(now - 60)&end=\(now)&step=1e300", "start=-9e15&end=9e15&step=1e15",
                "start=\(now - 60)&end=\(now)&step=0.0000001",
            ] {
                let answer = try await Self.get("\(base)/api/v1/query_range?query=up&\(range)")
                #expect(answer.code == "400", "\(range): \(answer)")
            }
            let series = try await Self.get("\(base)/api/v1/series", ["--data-urlencode", "match[]=up[1000000000y]"])
            #expect(series.code == "400", "\(series)")

            // The subquery bomb ends at once with a limit error; a long subquery ends at the timeout.
            let bomb = try await Self.get(
                "\(base)/api/v1/query", ["--data-urlencode", "query=count_over_time(vector(1)[100d:1ms])"])
            #expect(bomb.code == "422" && bomb.body.contains(#""errorType":"execution""#), "\(bomb)")
            let clock = ContinuousClock()
            let started = clock.now
            let long = try await Self.get(
                "\(base)/api/v1/query", ["--data-urlencode", "query=count_over_time(vector(1)[2d:10ms])"])
            #expect(long.code == "503" && long.body.contains(#""errorType":"timeout""#), "\(long)")
            #expect(clock.now - started < .seconds(10))
            // Prometheus' timeout parameter shortens the timeout of one query.
            let short = try await Self.get(
                "\(base)/api/v1/query",
                ["--data-urlencode", "query=count_over_time(vector(1)[2d:10ms])", "--data-urlencode", "timeout=0.2"])
            #expect(short.code == "503" && short.body.contains("timed out"), "\(short)")
            let badTimeout = try await Self.get("\(base)/api/v1/query?query=up&timeout=soon")
            #expect(badTimeout.code == "400", "\(badTimeout)")
            let peak = Self.peakResidentKiB(of: daemon.pid)
            #expect(peak.map { $0 < 512 * 1024 } == true, "peak RSS \(peak ?? -1) KiB")

            // A browser page cannot reach the loopback API through a rebound DNS name.
            let rebound = try await Self.get("\(base)/api/v1/query?query=up", ["-H", "Host: attacker.example:\(port)"])
            #expect(rebound.code == "403")
            #expect(try await Self.get("\(base)/-/healthy", ["-H", "Host: localhost:\(port)"]).code == "200")
            #expect(try await Self.get("\(base)/api/v1/query?query=good_metric").body.contains("good_metric"))

            daemon.signal(SIGTERM)
            #expect(await daemon.exitStatus(within: .seconds(15)) == 0)

            // SIGTERM during a long query (the default timeout of 2 minutes): the query is
            // cancelled and iocd exits well within 10 s.
            let patient = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            defer { patient.signal(SIGKILL) }
            #expect(
                try await waitUntil(timeout: .seconds(20)) { try await Self.get("\(base)/-/healthy").code == "200" })
            let slowQuery = try TestProcess(
                "/usr/bin/curl",
                [
                    "-s", "--max-time", "60", "--data-urlencode", "query=count_over_time(vector(1)[2d:10ms])",
                    "\(base)/api/v1/query",
                ])
            defer { slowQuery.signal(SIGKILL) }
            let inFlight = try await waitUntil(timeout: .seconds(10)) {
                try await Self.get("\(base)/metrics").body.contains("ioc_api_requests_running 1")
            }
            #expect(inFlight)
            let stopping = clock.now
            patient.signal(SIGTERM)
            #expect(await patient.exitStatus(within: .seconds(10)) == 0, "\(patient.standardError)")
            #expect(patient.endedAt.map { $0 - stopping < .seconds(10) } == true)
        }
    }

    /// A store whose log holds a record that cannot be replayed (a time beyond what a store holds,
    /// written by an older iocd) and one of damaged bytes: iocd starts, sets both aside, counts them
    /// and probes.
    @Test func aStoreWithUnappliableRecordsIsQuarantinedAndTheDaemonProbes() async throws {
        try await HeavyTests.one {
            let directory = try TemporaryDirectory()
            let path = directory.file("ioc.db")
            let writer = try SampleWriter(path: path)
            writer.append([
                LabeledSample(
                    labels: Labels(["__name__": "kept", "job": "x"]),
                    sample: Sample(timestamp: WallClock.nowMilliseconds(), value: 1))
            ])
            await writer.close()
            var sections: [(id: Int64, samples: CompactSamples)] = []
            LogRecord.add(Sample(timestamp: .max, value: 1), of: 1, to: &sections)
            let poisoned = LogRecord.encode(sections)
            var database: OpaquePointer?
            #expect(sqlite3_open(path, &database) == SQLITE_OK)
            for blob in [poisoned, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]] {
                var statement: OpaquePointer?
                sqlite3_prepare_v2(
                    database, "INSERT INTO log (min_ts, max_ts, data) VALUES (0, 0, ?)", -1, &statement, nil)
                _ = blob.withUnsafeBytes { sqlite3_bind_blob(statement, 1, $0.baseAddress, Int32($0.count), nil) }
                #expect(sqlite3_step(statement) == SQLITE_DONE)
                sqlite3_finalize(statement)
            }
            sqlite3_close(database)

            let closed = ClosedPort()
            defer { withExtendedLifetime(closed) {} }
            let port = refusedPort()
            let config = try directory.write(
                "iocd.yaml",
                "storage: {path: ioc.db}\nprobe_files: [probes.yaml]\nhttp: {listen: '127.0.0.1:\(port)'}\n")
            try directory.write(
                "probes.yaml",
                "groups:\n  - name: portal\n    interval: 1s\n    timeout: 500ms\n    targets:\n"
                    + "      - url: http://127.0.0.1:\(closed.number)/\n")
            for round in 1...2 {
                let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
                let base = "http://127.0.0.1:\(port)"
                let probing = try await waitUntil(timeout: .seconds(20)) {
                    try await Self.get("\(base)/api/v1/query?query=probe_success").body.contains(#""job":"portal""#)
                }
                #expect(probing, "round \(round): \(daemon.standardError)")
                let metrics = try await Self.get("\(base)/metrics").body
                // Set aside on the first start, and gone from the log for the second.
                #expect(metrics.contains("ioc_store_quarantined_records \(round == 1 ? 2 : 0)"), "\(round)")
                #expect(try await Self.get("\(base)/api/v1/query?query=kept").body.contains(#""job":"x""#))
                daemon.signal(SIGTERM)
                #expect(await daemon.exitStatus(within: .seconds(15)) == 0)
                if round == 1 { #expect(daemon.standardError.contains("quarantine")) }
            }
            var reopened: OpaquePointer?
            sqlite3_open(path, &reopened)
            defer { sqlite3_close(reopened) }
            var statement: OpaquePointer?
            sqlite3_prepare_v2(reopened, "SELECT count(*) FROM quarantine", -1, &statement, nil)
            #expect(sqlite3_step(statement) == SQLITE_ROW)
            #expect(sqlite3_column_int64(statement, 0) == 2)
            sqlite3_finalize(statement)
        }
    }

    /// The largest resident set the process has had (VmHWM), in KiB.
    static func peakResidentKiB(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }
    }
}
