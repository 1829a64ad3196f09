import Foundation
import IOCCore
import TestSupport
import Testing

/// Remote write to Debian's Prometheus (its remote-write receiver on), through an outage of
/// Prometheus and a restart of iocd: every sample gets there, and `ioc query --source` against that
/// Prometheus answers as `ioc query` against the local store.
@Suite struct RemoteWriteTests {
    @Test func everySampleGetsThroughAnOutageAndARestart() async throws {
        try await HeavyTests.one {
            let closed = ClosedPort()
            defer { withExtendedLifetime(closed) {} }
            let directory = try TemporaryDirectory()
            let prometheusPort = refusedPort()
            let prometheusConfig = try directory.write("prometheus.yml", "global: {scrape_interval: 15s}\n")
            func startPrometheus() throws -> TestProcess {
                try TestProcess(
                    "/usr/bin/prometheus",
                    [
                        "--config.file=\(prometheusConfig)", "--storage.tsdb.path=\(directory.file("tsdb"))",
                        "--web.listen-address=127.0.0.1:\(prometheusPort)", "--web.enable-remote-write-receiver",
                    ])
            }
            var prometheus = try startPrometheus()
            let config = try directory.write(
                "iocd.yaml",
                """
                storage: {path: ioc.db}
                probe_files: [probes.yaml]
                http: {listen: 'off'}
                remote_write:
                  - url: 'http://127.0.0.1:\(prometheusPort)/api/v1/write'
                    timeout: 5s
                """)
            try directory.write(
                "probes.yaml",
                "groups:\n  - name: portal\n    interval: 1s\n    timeout: 500ms\n    labels: {province: Huế}\n    targets:\n"
                    + "      - url: http://127.0.0.1:\(closed.number)/health\n")
            let iocd = try BuiltProduct.path("iocd")
            let ioc = try BuiltProduct.path("ioc")
            var daemon = try TestProcess(iocd, ["--config", config])
            let source = "http://127.0.0.1:\(prometheusPort)"
            let arrived = try await waitUntil(timeout: .seconds(40)) {
                try await TestProcess.run(ioc, ["query", "--source", source, "probe_success"]).stdout.contains("Huế")
            }
            #expect(arrived, "iocd: \(daemon.standardError)\nprometheus: \(prometheus.standardError.suffix(1500))")

            // Outage of the receiver, and iocd restarted in the middle of it.
            prometheus.signal(SIGTERM)
            _ = await prometheus.exitStatus()
            #expect(await waitUntil(timeout: .seconds(20)) { daemon.standardError.contains("remote write failed") })
            daemon.signal(SIGTERM)
            #expect(await daemon.exitStatus() == 0)
            daemon = try TestProcess(iocd, ["--config", config])
            defer { daemon.signal(SIGTERM) }
            _ = await waitUntil(timeout: .seconds(5)) { daemon.standardError.contains("remote write failed") }
            prometheus = try startPrometheus()
            defer { prometheus.signal(SIGTERM) }

            // Half a second off the second, so that no sample sits on a window's edge (Prometheus 2
            // counts the left edge in, Prometheus 3 and IOC leave it out).
            let at = String(format: "%.1f", Double(WallClock.nowMilliseconds() / 1000) + 0.5)
            let expression = "count_over_time(probe_success[10m])"
            // The store has committed everything up to that time once two commits have passed.
            _ = await waitUntil(timeout: .seconds(5)) {
                Double(WallClock.nowMilliseconds()) / 1000 > (Double(at) ?? 0) + 2.5
            }
            let local = try await TestProcess.run(
                ioc, ["query", "--db", directory.file("ioc.db"), expression, "--time", at])
            #expect(local.stdout.contains("=> "), "\(local.stderr)")
            let same = try await waitUntil(timeout: .seconds(60)) {
                let remote = try await TestProcess.run(ioc, ["query", "--source", source, expression, "--time", at])
                return remote.stdout == local.stdout
            }
            let remote = try await TestProcess.run(ioc, ["query", "--source", source, expression, "--time", at])
            #expect(same, "local: \(local.stdout) remote: \(remote.stdout) \(remote.stderr)\n\(daemon.standardError)")
        }
    }
}
