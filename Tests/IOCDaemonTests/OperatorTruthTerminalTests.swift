import Foundation
import IOCCore
import IOCSimulator
import IOCStore
import TestSupport
import Testing

/// What an operator sees first in a real terminal (tmux) over the simulated country with dozens of
/// warnings firing: the firing critical alert on the first line of the alerts panel, a selection
/// that stays on its province while the grid re-sorts, Enter opening the highlighted province, and
/// `/ha noi` finding Hà Nội.
@Suite struct OperatorTruthTerminalTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")))
    func theCriticalAlertFirstAndTheSelectionWhereTheOperatorLeftIt() async throws {
        try await HeavyTests.one {
            let simulator = try await Simulator(world: .national())
            // Every answering service raises a warning (dozens of them, older than the critical
            // alerts): they must not push the critical ServiceDown out of sight.
            let (directory, config) = try simulatedDaemonDirectory(
                simulator, interval: "2s", timeout: "1500ms",
                rules:
                    """
                    groups:
                      - name: g
                        rules:
                          - alert: Answered
                            expr: probe_success == 1
                            labels: {severity: warning}
                            annotations: {summary: '{{ $labels.service }} answered'}
                          - alert: ServiceDown
                            expr: probe_success == 0
                            for: 3s
                            labels: {severity: critical}
                            annotations: {summary: '{{ $labels.service }} of {{ $labels.province }} is down'}
                    """)
            let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            defer { daemon.signal(SIGTERM) }
            let store = directory.file("ioc.db")
            let ready = await waitUntil(timeout: .seconds(40)) {
                let alerts = (try? StoreReader(path: store).alerts()) ?? []
                return alerts.contains { $0.state == .firing && $0.labels["alertname"] == "ServiceDown" }
                    && alerts.filter { $0.labels["alertname"] == "Answered" }.count > 40
            }
            #expect(ready, "\(daemon.standardError.suffix(2000))")

            let ioc = try BuiltProduct.path("ioc")
            let repository = DashboardTerminalTests.repository
            let script = try directory.write(
                "run.sh",
                "\(ioc) dashboard --db '\(store)' --dashboards '\(repository)/dashboards/*.yaml'; sleep 60\n")
            let terminal = try await TmuxSession(running: script, in: directory, width: 200, height: 50)
            func screen(escapes: Bool = false) async throws -> String { try await terminal.screen(escapes: escapes) }
            func keys(_ names: String...) async throws { try await terminal.keys(names) }
            #expect(try await waitUntil(timeout: .seconds(15)) { try await screen().contains("Provinces × services") })

            // The alerts panel: its counts, then the firing critical alert first.
            let alertLines = try await waitUntil(timeout: .seconds(15)) {
                let lines = try await screen().split(separator: "\n").map(String.init)
                guard let counts = lines.firstIndex(where: { $0.contains(" critical · ") && $0.contains(" warning") })
                else { return false }
                return lines[counts + 1].contains("ServiceDown") && lines[counts + 1].contains("FIRING")
            }
            let overview = try await screen()
            #expect(alertLines, "\(overview)")

            // Select a row; whatever the grid does in the next seconds, Enter opens that province.
            try await keys("j", "j")
            try await Task.sleep(for: .milliseconds(1_500))
            let highlighted = try await screen(escapes: true).split(separator: "\n").compactMap { line -> String? in
                // The selected row's name is drawn in reverse video (SGR 7) right after the border.
                guard let reverse = line.range(of: "7m") else { return nil }
                let name = line[reverse.upperBound...].prefix { $0 != "\u{1b}" }
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                return ProvinceCatalogue.current.contains { $0.name == trimmed } ? trimmed : nil
            }.first
            let raw = try await screen(escapes: true)
            let province = try #require(highlighted, "\(raw)")
            try await Task.sleep(for: .seconds(4))
            try await keys("Enter")
            let opened = try await waitUntil(timeout: .seconds(10)) {
                try await screen().contains("Details · province=\(province)")
            }
            let details = try await screen()
            #expect(opened, "\(details)")
            try await keys("Escape")
            #expect(try await waitUntil(timeout: .seconds(10)) { try await screen().contains("Provinces × services") })

            // A filter without marks or case finds Hà Nội, and only it, in the grid.
            try await keys("/", "h", "a", " ", "n", "o", "i", "Enter")
            let filtered = try await waitUntil(timeout: .seconds(10)) {
                let text = try await screen()
                return text.contains("/ha noi") && text.contains("Hà Nội") && !text.contains("Cần Thơ")
            }
            let found = try await screen()
            #expect(filtered, "\(found)")
            try await keys("q")
            await simulator.stop()
        }
    }
}
