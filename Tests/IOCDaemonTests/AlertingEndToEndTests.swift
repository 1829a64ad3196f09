import Foundation
import IOCCore
import IOCStore
import TestSupport
import Testing

/// iocd evaluating rules over what it probes: alerts go pending and fire, and a restart neither
/// restarts a pending alert's `for` nor fires a firing alert again.
@Suite struct AlertingEndToEndTests {
    func alerts(_ store: String) -> [RuleAlert] {
        (try? StoreReader(path: store).alerts()) ?? []
    }

    func history(_ store: String) -> [AlertHistoryEntry] {
        (try? StoreReader(path: store).alertHistory()) ?? []
    }

    @Test func alertStateSurvivesRestartsWithoutLostProgressOrDuplicates() async throws {
        try await HeavyTests.one {
            let closed = ClosedPort()
            defer { withExtendedLifetime(closed) {} }
            let directory = try TemporaryDirectory()
            let config = try directory.write(
                "iocd.yaml",
                "storage:\n  path: ioc.db\nprobe_files: [probes.yaml]\nrule_files: [rules.yaml]\nevaluation_interval: 1s\n"
            )
            try directory.write(
                "probes.yaml",
                """
                groups:
                  - name: portal
                    interval: 1s
                    timeout: 500ms
                    labels: {province: Huế, service: dvc}
                    targets:
                      - url: http://127.0.0.1:\(closed.number)/health
                """)
            try directory.write(
                "rules.yaml",
                """
                groups:
                  - name: availability
                    rules:
                      - alert: ServiceDown
                        expr: probe_success == 0
                        for: 12s
                        labels: {severity: critical}
                        annotations:
                          summary: '{{ $labels.service }} of {{ $labels.province }} is down'
                """)
            let store = directory.file("ioc.db")
            let iocd = try BuiltProduct.path("iocd")

            // First run: the alert becomes pending; stop a third of the way through its `for` (long
            // enough that a loaded machine still sees it pending).
            var daemon = try TestProcess(iocd, ["--config", config])
            let pending = await waitUntil(timeout: .seconds(20)) { alerts(store).first?.state == .pending }
            #expect(pending, "\(daemon.standardError)")
            let activeAt = try #require(alerts(store).first?.activeAt)
            _ = await waitUntil(timeout: .seconds(8)) { WallClock.nowMilliseconds() >= activeAt + 4_000 }
            daemon.signal(SIGTERM)
            #expect(await daemon.exitStatus() == 0, "\(daemon.standardError)")

            // Second run: it fires 12 s after it first became active, not 12 s after the restart.
            daemon = try TestProcess(iocd, ["--config", config])
            let fired = await waitUntil(timeout: .seconds(20)) { alerts(store).first?.state == .firing }
            #expect(fired, "\(daemon.standardError)")
            let alert = try #require(alerts(store).first)
            #expect(alert.activeAt == activeAt)
            let firedAt = try #require(alert.firedAt)
            #expect(
                firedAt - activeAt >= 12_000 && firedAt - activeAt <= 13_500, "fired \(firedAt - activeAt) ms after")
            #expect(alert.annotations["summary"] == "dvc of Huế is down")
            #expect(alert.labels["alertname"] == "ServiceDown" && alert.labels["severity"] == "critical")
            daemon.signal(SIGTERM)
            #expect(await daemon.exitStatus() == 0)

            // Third run: still firing, with no second "firing" in the history after several evaluations.
            let restarted = WallClock.nowMilliseconds()
            daemon = try TestProcess(iocd, ["--config", config])
            let evaluated = try await waitUntil(timeout: .seconds(20)) {
                let reader = try StoreReader(path: store)
                let series = try reader.select(
                    [try LabelMatcher("__name__", .equal, "ALERTS"), try LabelMatcher("alertstate", .equal, "firing")],
                    from: restarted + 2_000, through: .max)
                return series.first.map { $0.samples.count >= 3 } ?? false
            }
            #expect(evaluated, "\(daemon.standardError)")
            let changes = history(store).filter { $0.labels["alertname"] == "ServiceDown" }.map(\.kind)
            #expect(changes == ["pending", "firing"])

            // `ioc alerts` shows it, `ioc alerts --history` its two changes.
            let ioc = try BuiltProduct.path("ioc")
            let listed = try await TestProcess.run(ioc, ["alerts", "--db", store])
            #expect(listed.status == 0)
            #expect(listed.stdout.contains("firing") && listed.stdout.contains("ServiceDown"), "\(listed.stdout)")
            #expect(listed.stdout.contains("dvc of Huế is down"))
            let changed = try await TestProcess.run(ioc, ["alerts", "--db", store, "--history", "--json"])
            #expect(changed.stdout.split(separator: "\n").count == 2, "\(changed.stdout)")
            daemon.signal(SIGTERM)
            #expect(await daemon.exitStatus() == 0)
        }
    }

    @Test func aReloadWithABadRuleFileKeepsTheOldRulesAndAGoodOneTakesEffect() async throws {
        try await HeavyTests.one {
            let closed = ClosedPort()
            defer { withExtendedLifetime(closed) {} }
            let directory = try TemporaryDirectory()
            let port = refusedPort()
            let config = try directory.write(
                "iocd.yaml",
                "storage:\n  path: ioc.db\nprobe_files: [probes.yaml]\nrule_files: [rules.yaml]\nevaluation_interval: 1s\n"
                    + "http: {listen: '127.0.0.1:\(port)'}\n"
            )
            // Whether the last reload took, and when one last did, as /metrics says.
            func reloadMetrics() async throws -> (successful: Double?, at: Double?) {
                let body = try await APIEndToEndTests.get("http://127.0.0.1:\(port)/metrics").body
                func value(_ name: String) -> Double? {
                    body.split(separator: "\n").first { $0.hasPrefix(name + " ") }
                        .flatMap { Double($0.split(separator: " ")[1]) }
                }
                return (
                    value("ioc_config_last_reload_successful"),
                    value("ioc_config_last_reload_success_timestamp_seconds")
                )
            }
            try directory.write(
                "probes.yaml",
                "groups:\n  - name: portal\n    interval: 1s\n    timeout: 500ms\n    targets:\n"
                    + "      - url: http://127.0.0.1:\(closed.number)/\n")
            let rules = try directory.write(
                "rules.yaml",
                "groups:\n  - name: g\n    rules:\n      - alert: OldRule\n        expr: probe_success == 0\n"
            )
            let store = directory.file("ioc.db")
            let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            defer { daemon.signal(SIGTERM) }
            func firing(_ name: String) -> Bool {
                alerts(store).contains { $0.labels["alertname"] == name && $0.state == .firing }
            }
            #expect(await waitUntil(timeout: .seconds(20)) { firing("OldRule") }, "\(daemon.standardError)")
            let atStart = try await reloadMetrics()
            #expect(atStart.successful == 1 && atStart.at != nil, "the start counts as a successful load")
            // The process started before anything was scraped, and not long ago.
            let metrics = try await APIEndToEndTests.get("http://127.0.0.1:\(port)/metrics").body
            let started = metrics.split(separator: "\n").first { $0.hasPrefix("process_start_time_seconds ") }
                .flatMap { Double($0.split(separator: " ")[1]) }
            let scraped = Double(WallClock.nowMilliseconds()) / 1000
            #expect(started.map { $0 < scraped - 0.5 && $0 > scraped - 60 } == true, "\(started ?? -1) at \(scraped)")

            // A broken file: refused with file, line and reason; the old rule goes on being evaluated.
            try directory.write(
                "rules.yaml",
                "groups:\n  - name: g\n    rules:\n      - alert: NewRule\n        expr: probe_success ==\n")
            daemon.signal(SIGHUP)
            let refused = await waitUntil(timeout: .seconds(10)) {
                daemon.standardError.contains("configuration not reloaded")
            }
            #expect(refused, "\(daemon.standardError)")
            #expect(
                daemon.standardError.contains("\(rules):5:15: could not parse expression"), "\(daemon.standardError)")
            let refusedAt = WallClock.nowMilliseconds()
            let stillEvaluated = try await waitUntil(timeout: .seconds(10)) {
                let series = try StoreReader(path: store).select(
                    [try LabelMatcher("__name__", .equal, "ALERTS"), try LabelMatcher("alertname", .equal, "OldRule")],
                    from: refusedAt + 1_000, through: .max)
                return series.contains { !$0.samples.isEmpty }
            }
            #expect(stillEvaluated)
            #expect(daemon.isRunning)
            let afterRefusal = try await reloadMetrics()
            #expect(afterRefusal.successful == 0 && afterRefusal.at == atStart.at, "\(afterRefusal)")

            // A good file: the new rule takes over.
            try directory.write(
                "rules.yaml",
                "groups:\n  - name: g\n    rules:\n      - alert: NewRule\n        expr: probe_success == 0\n"
            )
            daemon.signal(SIGHUP)
            #expect(await waitUntil(timeout: .seconds(20)) { firing("NewRule") }, "\(daemon.standardError)")
            #expect(daemon.standardError.contains("configuration reloaded"))
            let afterReload = try await reloadMetrics()
            #expect(afterReload.successful == 1 && (afterReload.at ?? 0) > (atStart.at ?? .infinity), "\(afterReload)")
        }
    }
}
