import Foundation
import IOCCore
import IOCSimulator
import IOCStore
import TestSupport
import Testing

@Suite struct ShutdownUnderLoadTests {
    /// SIGTERM while every part is busy: probes of the whole simulated country every second, rules
    /// evaluated every second, an exec hook in the middle of a delivery with a webhook's
    /// notifications waiting behind it, and remote write pushing. iocd exits 0 within 5 s; every sample it counted as
    /// committed is in the store, and every notification that was queued is still queued there.
    @Test func sigtermUnderLoadExitsPromptlyAndKeepsEverything() async throws {
        try await HeavyTests.one {
            let simulator = try await Simulator(world: .demo())
            let directory = try TemporaryDirectory()
            let apiPort = refusedPort()
            let remotePort = refusedPort()
            let remote = try WebhookSink(port: remotePort)
            defer { remote.stop() }
            let closedWebhook = refusedPort()
            // The hook says it started, then takes far longer than the 5 s iocd has to stop.
            let hook = try directory.write(
                "hook.sh", "#!/bin/sh\ntouch '\(directory.file("hook.started"))'\ncat > /dev/null\nsleep 60\n")
            chmod(hook, 0o755)
            let config = try directory.write(
                "iocd.yaml",
                """
                storage: {path: ioc.db}
                probe_files: [probes.yaml]
                rule_files: [rules.yaml]
                evaluation_interval: 1s
                http: {listen: '127.0.0.1:\(apiPort)'}
                remote_write:
                  - url: 'http://127.0.0.1:\(remotePort)/api/v1/write'
                notifications:
                  route: {receiver: duty, group_by: [province], group_wait: 0s, group_interval: 1h, repeat_interval: 1h}
                  receivers:
                    - name: duty
                      exec: {command: ['\(hook)'], timeout: 2m}
                      webhook: {url: 'http://127.0.0.1:\(closedWebhook)/hook'}
                """)
            try directory.write(
                "probes.yaml", simulator.world.probeFile(baseURL: simulator.baseURL, interval: "1s", timeout: "500ms"))
            try directory.write(
                "rules.yaml",
                """
                groups:
                  - name: load
                    rules:
                      - record: province:probe_success:avg
                        expr: avg by (province) (probe_success)
                      - record: service:probe_duration_seconds:max
                        expr: max by (service) (max_over_time(probe_duration_seconds[1m]))
                      - alert: Probed
                        expr: probe_success >= 0
                        labels: {severity: info}
                        annotations: {summary: '{{ $labels.service }} of {{ $labels.province }} was probed'}
                """)
            let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            func metric(_ name: String) async throws -> Double? {
                let text = try await TestProcess.run(
                    "/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(apiPort)/metrics"]
                ).stdout
                let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
                return line.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            // Busy everywhere: the hook runs (the webhook waits behind it), rules have been evaluated,
            // remote write has pushed.
            let busy = try await waitUntil(timeout: .seconds(60)) {
                let queued = try await metric("ioc_notification_queue_length") ?? 0
                let evaluations = try await metric("ioc_rule_evaluations_total") ?? 0
                return FileManager.default.fileExists(atPath: directory.file("hook.started")) && queued >= 2
                    && evaluations >= 3 && !remote.requests.isEmpty
            }
            #expect(busy, "\(daemon.standardError.suffix(2000))")
            let queued = try #require(try await metric("ioc_notification_queue_length"))
            #expect(queued >= 2, "every province's group is queued for the hook and the webhook")

            let stopping = ContinuousClock.now
            daemon.signal(SIGTERM)
            let status = await daemon.exitStatus(within: .seconds(5))
            #expect(status == 0, "\(daemon.standardError.suffix(3000))")
            #expect(daemon.endedAt.map { $0 - stopping < .seconds(5) } == true)
            if status == nil { daemon.signal(SIGKILL) }

            // Every sample the last log line counts as written is in the file, and nothing more.
            let stopped = try #require(daemon.standardError.split(separator: "\n").last { $0.contains("iocd stopped") })
            let written = try #require(
                stopped.split(separator: " ").first { $0.hasPrefix("samples_written=") }.flatMap {
                    Int($0.dropFirst("samples_written=".count))
                })
            let reader = try StoreReader(path: directory.file("ioc.db"))
            let stored = try reader.select(
                [try LabelMatcher(Labels.metricName, .matchesRegex, ".+")], from: .min, through: .max
            ).reduce(0) { $0 + $1.samples.count }
            #expect(written > 0 && stored == written, "written \(written), stored \(stored)")
            // What was queued is still queued, the hook's interrupted delivery among it.
            let queue = try reader.notificationQueue()
            #expect(Double(queue.count) >= queued, "\(queue.count) kept of \(queued)")
            #expect(queue.contains { $0.integration == 0 } && queue.contains { $0.integration == 1 })
            await simulator.stop()
        }
    }
}
