import Foundation
import IOCCore
@testable import IOCDaemon
import IOCSimulator
import IOCStore
import TestSupport
import Testing

/// Snappy as remote write sends it: a decoder written from the format's description reads back
/// every input, and a write request shrinks to a fraction of itself.
@Suite struct SnappyTests {
    /// The block format's decoder: literals and copies (1-, 2- and 4-byte offsets).
    static func decode(_ input: [UInt8]) -> [UInt8]? {
        var index = 0
        guard let length = try? WriteRequestReading.varint(input[...], &index) else { return nil }
        var output: [UInt8] = []
        while index < input.count {
            let tag = input[index]
            index += 1
            switch tag & 3 {
            case 0:
                var count = Int(tag >> 2) + 1
                if count > 60 {
                    let extra = count - 60
                    count = 0
                    for byte in 0..<extra { count |= Int(input[index + byte]) << (8 * byte) }
                    count += 1
                    index += extra
                }
                guard index + count <= input.count else { return nil }
                output += input[index..<index + count]
                index += count
            default:
                let count: Int
                let offset: Int
                if tag & 3 == 1 {
                    count = Int(tag >> 2 & 7) + 4
                    offset = Int(tag >> 5) << 8 | Int(input[index])
                    index += 1
                } else {
                    count = Int(tag >> 2) + 1
                    offset = Int(input[index]) | Int(input[index + 1]) << 8
                    index += 2
                }
                guard offset > 0, offset <= output.count else { return nil }
                for _ in 0..<count { output.append(output[output.count - offset]) }
            }
        }
        return output.count == Int(length) ? output : nil
    }

    @Test func everyInputComesBackAndRequestsShrink() async throws {
        try await onTestWorkThread {
            var random = SplitMix64(seed: 7)
            let noise = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let runs = (0..<200_000).map { UInt8($0 / 1000 % 3) }
            let series = (0..<3_000).map { index in
                Series(
                    labels: Labels([
                        ("__name__", "probe_success"), ("province", "Thành phố Hồ Chí Minh"),
                        ("service", "dvc-\(index % 5)"),
                        ("instance", "https://dichvucong.p\(index % 34).gov.vn/health"), ("job", "p\(index % 34)"),
                    ]), samples: (0..<15).map { Sample(timestamp: 1_796_361_600_000 + Int64($0) * 1000, value: 1) })
            }
            let request = RemoteWriteEncoding.writeRequest(series)
            for input in [[], [1], noise, runs, request, Array(request.prefix(70_000)) + Array(request.prefix(70_000))]
            {
                #expect(Self.decode(RemoteWriteEncoding.snappy(input)) == input, "\(input.count) bytes")
            }
            let compressed = RemoteWriteEncoding.snappy(request)
            #expect(compressed.count * 4 < request.count, "\(compressed.count) of \(request.count)")
        }
    }
}

/// Remote write to Debian's VictoriaMetrics (the engine a national centre runs) through an outage:
/// after it, every sample of every series is there exactly once (counted against the local store),
/// with the centre's external labels on it.
@Suite struct RemoteWriteVictoriaMetricsTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/victoria-metrics")))
    func everySampleArrivesOnceAfterAnOutage() async throws {
        try await HeavyTests.one {
            let closed = ClosedPort()
            defer { withExtendedLifetime(closed) {} }
            let directory = try TemporaryDirectory()
            let port = refusedPort()
            func startVictoriaMetrics() throws -> TestProcess {
                try TestProcess.victoriaMetrics(dataPath: directory.file("vm"), port: port)
            }
            var victoria = try startVictoriaMetrics()
            let config = try directory.write(
                "iocd.yaml",
                """
                storage: {path: ioc.db}
                probe_files: [probes.yaml]
                http: {listen: 'off'}
                external_labels: {centre: ioc-hue, province: 'Thừa Thiên Huế'}
                remote_write:
                  - url: 'http://127.0.0.1:\(port)/api/v1/write'
                    timeout: 5s
                """)
            try directory.write(
                "probes.yaml",
                "groups:\n  - name: portal\n    interval: 1s\n    timeout: 500ms\n    labels: {province: Huế}\n"
                    + "    targets:\n      - url: http://127.0.0.1:\(closed.number)/a\n"
                    + "      - url: http://127.0.0.1:\(closed.number)/b\n")
            let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            defer { daemon.signal(SIGTERM) }
            let start = WallClock.nowMilliseconds()
            func exported() async throws -> [[String: Any]] {
                let result = try await TestProcess.run(
                    "/usr/bin/curl",
                    [
                        "-sf", "http://127.0.0.1:\(port)/api/v1/export", "--data-urlencode",
                        #"match[]={__name__="probe_success"}"#,
                    ])
                return VictoriaMetricsExport.series(result.stdout).map {
                    ["metric": $0.metric, "timestamps": $0.timestamps] as [String: Any]
                }
            }
            #expect(
                try await waitUntil(timeout: .seconds(40)) { try await exported().count == 2 },
                "\(daemon.standardError)")

            // The receiver is down for a while; iocd keeps probing and storing.
            victoria.signal(SIGTERM)
            _ = await victoria.exitStatus()
            let outageStart = WallClock.nowMilliseconds()
            #expect(await waitUntil(timeout: .seconds(30)) { daemon.standardError.contains("remote write failed") })
            // Down until the store holds thirteen more probes of each target than the receiver has.
            let reader = try StoreReader(path: directory.file("ioc.db"))
            func stored(from: Int64, through: Int64) throws -> [Series] {
                try reader.select(
                    [try LabelMatcher(Labels.metricName, .equal, "probe_success")], from: from, through: through)
            }
            #expect(
                try await waitUntil(timeout: .seconds(30)) {
                    let during = try stored(from: outageStart, through: WallClock.nowMilliseconds())
                    return during.count == 2 && during.allSatisfy { $0.samples.count >= 13 }
                })
            // The window compared ends a few seconds before now: the writer commits about once a
            // second, and a sample stamped just before now may not be in the store yet.
            let outageEnd = WallClock.nowMilliseconds() - 5_000
            victoria = try startVictoriaMetrics()
            defer { victoria.signal(SIGTERM) }

            // Everything up to the end of the outage arrives: the same count per series as the store.
            let local = try stored(from: start - 60_000, through: outageEnd)
            #expect(local.count == 2 && local.allSatisfy { $0.samples.count >= 10 })
            var last: [[String: Any]] = []
            let complete = try await waitUntil(timeout: .seconds(60)) {
                last = try await exported()
                return local.allSatisfy { series in
                    guard
                        let remote = last.first(where: {
                            ($0["metric"] as? [String: String])?["instance"] == series.labels["instance"]
                        }), let stamps = remote["timestamps"] as? [Int64]
                    else { return false }
                    let window = stamps.filter { $0 <= outageEnd }
                    return window.count >= series.samples.count
                }
            }
            #expect(complete, "\(daemon.standardError.suffix(2000))")
            for series in local {
                let remote = try #require(
                    last.first { ($0["metric"] as? [String: String])?["instance"] == series.labels["instance"] })
                let stamps = (remote["timestamps"] as? [Int64] ?? []).filter { $0 <= outageEnd }
                #expect(stamps == series.samples.map(\.timestamp), "every sample once, in order")
                let metric = remote["metric"] as? [String: String] ?? [:]
                // The centre's label added; the series' own province kept over the external one.
                #expect(metric["centre"] == "ioc-hue" && metric["province"] == "Huế", "\(metric)")
            }
        }
    }
}

/// A series whose first sample in a request is a staleness marker (a probe's failure reason that
/// just ended, a recorded series that went away): VictoriaMetrics 1.79 keeps it, and exports a block
/// that starts with one as a bare `NaN`, which is not JSON. The national test read such a line as a
/// series that never arrived; `VictoriaMetricsExport` reads it.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/victoria-metrics")))
struct VictoriaMetricsStalenessTests {
    @Test func aSeriesThatStartsStaleIsExportedAndRead() async throws {
        let directory = try TemporaryDirectory()
        let port = refusedPort()
        let victoria = try TestProcess.victoriaMetrics(dataPath: directory.file("vm"), port: port)
        defer { victoria.signal(SIGTERM) }
        let now = WallClock.nowMilliseconds()
        let stale = Sample(timestamp: now - 2_000, value: Sample.staleNaN)
        let request = RemoteWriteEncoding.writeRequest([
            Series(
                labels: Labels(["__name__": "probe_failed_due_to", "reason": "status"]),
                samples: [stale, Sample(timestamp: now - 1_000, value: 1)]),
            Series(labels: Labels(["__name__": "probe_failed_due_to", "reason": "timeout"]), samples: [stale]),
        ])
        let body = directory.file("request")
        try Data(RemoteWriteEncoding.snappy(request)).write(to: URL(fileURLWithPath: body))
        // Sent once, as soon as VictoriaMetrics listens: it keeps every copy of a sample it is sent.
        let sent = try await waitUntil(timeout: .seconds(30)) {
            try await TestProcess.run(
                "/usr/bin/curl",
                [
                    "-sf", "http://127.0.0.1:\(port)/api/v1/write", "-H", "Content-Encoding: snappy",
                    "-H", "Content-Type: application/x-protobuf", "--data-binary", "@\(body)",
                ]
            ).status == 0
        }
        #expect(sent, "\(victoria.standardError.suffix(1000))")
        var exported = ""
        let arrived = try await waitUntil(timeout: .seconds(30)) {
            exported =
                try await TestProcess.run(
                    "/usr/bin/curl",
                    [
                        "-sf", "http://127.0.0.1:\(port)/api/v1/export", "--data-urlencode",
                        #"match[]={__name__="probe_failed_due_to"}"#,
                    ]
                ).stdout
            return exported.split(separator: "\n").count == 2
        }
        #expect(arrived, "\(exported)\n\(victoria.standardError.suffix(1000))")
        // What VictoriaMetrics writes: a line that a JSON parser refuses.
        #expect(exported.contains("NaN"), "\(exported)")
        let read = VictoriaMetricsExport.series(exported).map { ($0.metric["reason"] ?? "", $0.timestamps) }
        #expect(read.count == 2, "\(exported)")
        #expect(read.first { $0.0 == "status" }?.1 == [now - 2_000, now - 1_000], "\(exported)")
        #expect(read.first { $0.0 == "timeout" }?.1 == [now - 2_000], "\(exported)")
    }
}

/// A probe is stamped with the time it was due and written when it ends: remote write must not
/// pass over the samples of a slow target (4.4 s here) that were still in flight when it sent the
/// seconds around them. (It did, about one in four, when it sent up to 3 s ago.)
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/victoria-metrics")))
struct RemoteWriteSlowProbeTests {
    @Test func aSlowProbesSamplesAreNotPassedOver() async throws {
        let simulator = try await Simulator(world: .demo())
        let slowTarget = simulator.baseURL + "/test/delay/4400"
        let quickTarget = simulator.baseURL + "/test/status/200"
        try await HeavyTests.one {
            let directory = try TemporaryDirectory()
            let port = refusedPort()
            let victoria = try TestProcess.victoriaMetrics(dataPath: directory.file("vm"), port: port)
            defer { victoria.signal(SIGTERM) }
            try directory.write(
                "probes.yaml",
                "groups:\n  - name: mixed\n    interval: 5s\n    timeout: 4900ms\n    targets:\n"
                    + "      - url: \(slowTarget)\n      - url: \(quickTarget)\n")
            let config = try directory.write(
                "iocd.yaml",
                "storage: {path: ioc.db}\nprobe_files: [probes.yaml]\nhttp: {listen: 'off'}\n"
                    + "remote_write: [{url: 'http://127.0.0.1:\(port)/api/v1/write'}]\n")
            let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            defer { daemon.signal(SIGTERM) }
            let start = WallClock.nowMilliseconds()
            let matcher = try LabelMatcher(Labels.metricName, .equal, "probe_success")
            func stored(from: Int64, through: Int64) throws -> [Series] {
                try StoreReader(path: directory.file("ioc.db")).select([matcher], from: from, through: through)
            }
            // Forty seconds of probing, eight of the slow target's samples among them.
            let enough = await waitUntil(timeout: .seconds(90)) {
                let series = (try? stored(from: start, through: .max)) ?? []
                return !daemon.isRunning
                    || (series.count == 2 && series.allSatisfy { $0.samples.count >= 8 }
                        && WallClock.nowMilliseconds() - start > 40_000)
            }
            #expect(enough, "\(daemon.standardError)")
            let windowEnd = WallClock.nowMilliseconds() - 10_000
            let local = try stored(from: .min, through: windowEnd)
            var remote: [String: [Int64]] = [:]
            let arrived = try await waitUntil(timeout: .seconds(30)) {
                remote = try await Self.exportedTimestamps(port: port, through: windowEnd)
                return local.allSatisfy { (remote[$0.labels["instance"] ?? ""] ?? []).count >= $0.samples.count }
            }
            #expect(arrived, "\(remote)\n\(daemon.standardError.suffix(2000))")
            for series in local {
                let instance = series.labels["instance"] ?? ""
                #expect(remote[instance] == series.samples.map(\.timestamp), "\(instance): every sample once")
            }
        }
        await simulator.stop()
    }

    /// VictoriaMetrics' export of probe_success: each instance's timestamps up to `through`.
    static func exportedTimestamps(port: Int, through: Int64) async throws -> [String: [Int64]] {
        let result = try await TestProcess.run(
            "/usr/bin/curl",
            [
                "-sf", "http://127.0.0.1:\(port)/api/v1/export", "--data-urlencode",
                #"match[]={__name__="probe_success"}"#,
            ])
        var timestamps: [String: [Int64]] = [:]
        for (metric, stamps) in VictoriaMetricsExport.series(result.stdout) {
            guard let instance = metric["instance"] else { continue }
            timestamps[instance] = stamps.filter { $0 <= through }
        }
        return timestamps
    }
}
