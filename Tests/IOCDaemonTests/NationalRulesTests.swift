import Foundation
import IOCCore
import TestSupport
import Testing

/// A national centre's rules over its engine: two provincial iocd remote-write to Debian's
/// VictoriaMetrics; a national iocd has VictoriaMetrics' query API answer its rules (`rule_source`
/// with `engine: remote`), as vmalert would (NationalEndToEndTests has IOC's engine evaluate
/// them), fires on the province that is down, and writes what it records back by remote write,
/// where the national dashboards read it.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/victoria-metrics")))
struct NationalRulesTests {
    @Test func nationalRulesReadVictoriaMetricsAndWriteBack() async throws {
        try await HeavyTests.one {
            let closed = ClosedPort()
            defer { withExtendedLifetime(closed) {} }
            let healthy = try WebhookSink(port: 0, answering: "ok")
            defer { healthy.stop() }
            let directory = try TemporaryDirectory()
            let vmPort = refusedPort()
            let victoria = try TestProcess.victoriaMetrics(dataPath: directory.file("vm"), port: vmPort)
            defer { victoria.signal(SIGTERM) }
            let engine = "http://127.0.0.1:\(vmPort)"
            var daemons: [TestProcess] = []
            var folders: [TemporaryDirectory] = []
            defer {
                for daemon in daemons { daemon.signal(SIGTERM) }
                withExtendedLifetime(folders) {}
            }
            // Two provinces' centres: Huế's portal refuses connections, Đà Nẵng's answers.
            for (name, province, port) in [("hue", "Huế", closed.number), ("danang", "Đà Nẵng", healthy.port)] {
                let folder = try TemporaryDirectory()
                try folder.write(
                    "probes.yaml",
                    "groups:\n  - name: portal\n    interval: 1s\n    timeout: 500ms\n    labels: {province: \(province)}\n"
                        + "    targets:\n      - url: http://127.0.0.1:\(port)/health\n")
                let config = try folder.write(
                    "iocd.yaml",
                    """
                    storage: {path: ioc.db}
                    probe_files: [probes.yaml]
                    http: {listen: 'off'}
                    external_labels: {centre: ioc-\(name)}
                    remote_write: [{url: '\(engine)/api/v1/write'}]
                    """)
                daemons.append(try TestProcess(try BuiltProduct.path("iocd"), ["--config", config]))
                folders.append(folder)
            }
            let apiPort = refusedPort()
            try directory.write(
                "national.rules.yaml",
                """
                groups:
                  - name: national
                    interval: 1s
                    rules:
                      - record: province:probe_success:avg
                        expr: avg by (province) (probe_success)
                      - alert: ProvinceDown
                        expr: avg by (province) (probe_success) == 0
                        labels: {severity: critical}
                        annotations: {summary: 'Cổng dịch vụ của {{ $labels.province }} ngừng'}
                """)
            let national = try directory.write(
                "iocd.yaml",
                """
                storage: {path: national.db}
                probe_files: []
                rule_files: [national.rules.yaml]
                http: {listen: '127.0.0.1:\(apiPort)'}
                external_labels: {centre: ioc-national}
                rule_source: {url: '\(engine)', timeout: 5s, engine: remote}
                remote_write: [{url: '\(engine)/api/v1/write'}]
                """)
            daemons.append(try TestProcess(try BuiltProduct.path("iocd"), ["--config", national]))
            let nationalDaemon = daemons[daemons.count - 1]

            // What the national rule recorded, read back from VictoriaMetrics.
            func recorded() async throws -> [String: String] {
                let answer = try await TestProcess.run(
                    "/usr/bin/curl",
                    ["-sf", "\(engine)/api/v1/query", "--data-urlencode", "query=province:probe_success:avg"])
                let object = try? JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any]
                let result = ((object?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
                var values: [String: String] = [:]
                for item in result {
                    let metric = item["metric"] as? [String: String] ?? [:]
                    let value = (item["value"] as? [Any])?.last as? String ?? ""
                    values[(metric["province"] ?? "") + "/" + (metric["centre"] ?? "")] = value
                }
                return values
            }
            var last: [String: String] = [:]
            let written = try await waitUntil(timeout: .seconds(60)) {
                last = try await recorded()
                return last["Huế/ioc-national"] == "0" && last["Đà Nẵng/ioc-national"] == "1"
            }
            #expect(written, "\(last)\n\(nationalDaemon.standardError.suffix(2000))")

            // The province that is down fires on the national centre.
            let fired = try await waitUntil(timeout: .seconds(30)) {
                let alerts = try await TestProcess.run(
                    try BuiltProduct.path("ioc"), ["alerts", "--source", "http://127.0.0.1:\(apiPort)"])
                return alerts.stdout.contains("ProvinceDown") && alerts.stdout.contains("province=Huế")
                    && !alerts.stdout.contains("province=Đà Nẵng")
            }
            #expect(fired, "\(nationalDaemon.standardError.suffix(2000))")

            // The national dashboard: figures from VictoriaMetrics, which answers every alerts
            // request with none, and the alerts from the national iocd.
            func overview(_ extra: [String]) async throws -> String {
                try await TestProcess.run(
                    try BuiltProduct.path("ioc"),
                    [
                        "dashboard", "--source", engine, "--dashboard", "overview", "--snapshot", "160x40",
                        "--dashboards", NationalEndToEndTests.repository + "/dashboards/*.yaml",
                    ] + extra,
                    environment: ProcessInfo.processInfo.environment.merging(["IOC_LANG": "en"]) { $1 }
                ).stdout
            }
            let withAlerts = try await overview(["--alerts-source", "http://127.0.0.1:\(apiPort)"])
            #expect(withAlerts.contains("ProvinceDown") && withAlerts.contains("1 critical"), "\(withAlerts)")
            #expect(try await !overview([]).contains("ProvinceDown"))
            #expect(!nationalDaemon.standardError.contains("rule evaluation failed"))
        }
    }
}
