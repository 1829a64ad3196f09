import Foundation
import IOCCore
import IOCSimulator
import IOCStore
import TestSupport
import Testing

/// `ioc dashboard` with the shipped dashboards in a real terminal (tmux), over a store that iocd
/// fills from the simulator: keys move, drill down, filter, silence and switch dashboards; the
/// window is resized; `q` leaves the terminal as it was. A feed's hostile label values stay text.
@Suite struct DashboardTerminalTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")))
    func keysResizeAndQuitInARealTerminal() async throws {
        try await HeavyTests.one {
            let simulator = try await Simulator(world: .demo())
            let (directory, config) = try simulatedDaemonDirectory(
                simulator, interval: "1s", timeout: "800ms",
                rules:
                    "groups:\n  - name: g\n    rules:\n      - alert: ServiceDown\n        expr: probe_success{job!=\"hostile\"} == 0\n"
                    + "        labels: {severity: critical}\n        annotations: {summary: '{{ $labels.service }} down'}\n"
            )
            try directory.write(
                "probes/hostile.yaml",
                "groups:\n  - name: hostile\n    interval: 1s\n    timeout: 800ms\n    targets:\n"
                    + "      - feed: \(simulator.baseURL)/test/feed/hostile\n")
            let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            defer { daemon.signal(SIGTERM) }
            let store = directory.file("ioc.db")
            let ready = await waitUntil(timeout: .seconds(30)) {
                ((try? StoreReader(path: store).alerts()) ?? []).contains { $0.state == .firing }
            }
            #expect(ready, "\(daemon.standardError)")

            let ioc = try BuiltProduct.path("ioc")
            let script = try directory.write(
                "run.sh",
                "\(ioc) dashboard --db '\(store)' --dashboards '\(Self.repository)/dashboards/*.yaml'; echo \"EXITED:$?\"; sleep 60\n"
            )
            let terminal = try await TmuxSession(running: script, in: directory, width: 120, height: 40)
            func screen() async throws -> String { try await terminal.screen() }
            func keys(_ names: String...) async throws { try await terminal.keys(names) }

            #expect(try await waitUntil(timeout: .seconds(15)) { try await screen().contains("Provinces × services") })
            // The hostile feed: its text shown, its sequences not acted on.
            let first = try await screen()
            #expect(first.contains("EvilTown"), "\(first)")
            let title = try await terminal.display("#{pane_title}")
            #expect(!title.contains("pwned"))

            // Down into the grid, Enter: the province's details; Esc: back. The grid puts the worst
            // first: Cần Thơ, whose LGSP always fails, or Hồ Chí Minh, whose one-stop system answers
            // in about the probes' timeout and fails every other probe.
            try await keys("j")
            try await keys("Enter")
            #expect(
                try await waitUntil(timeout: .seconds(10)) {
                    let text = try await screen()
                    return text.contains("Details · province=Cần Thơ")
                        || text.contains("Details · province=Hồ Chí Minh")
                })
            try await keys("Escape")
            #expect(try await waitUntil(timeout: .seconds(10)) { try await screen().contains("Provinces × services") })

            // Filter by a province.
            try await keys("/", "C", "ầ", "n", "Enter")
            #expect(try await waitUntil(timeout: .seconds(10)) { try await screen().contains("/Cần") })
            try await keys("Escape")

            // Silence the selected alert from the prompt line, once the alert list shows one: the
            // list comes with each refresh, and on a loaded machine the keys could come before it
            // held an alert (then `s` says "select an alert first"; a fresh-clone CI run saw it).
            #expect(try await waitUntil(timeout: .seconds(15)) { try await screen().contains("ServiceDown") })
            try await keys("a", "j", "s")
            let prompted = try await waitUntil(timeout: .seconds(10)) {
                try await screen().contains("Silence ServiceDown")
            }
            let shown = try await screen()
            #expect(prompted, "\(shown)")
            try await keys("Enter", "p", "l", "a", "n", "n", "e", "d", "Enter")
            #expect(try await waitUntil(timeout: .seconds(10)) { try await screen().contains("silenced for 2h") })
            let listed = try await TestProcess.run(ioc, ["silence", "list", "--db", store])
            #expect(
                listed.stdout.contains("planned") && listed.stdout.contains("alertname=\"ServiceDown\""),
                "\(listed.stdout)"
            )

            // Tab: the province dashboard, on Huế; v: the next province (after the last, the first of
            // the simulator's five in Vietnamese order); t: a longer time range.
            try await keys("Tab")
            #expect(try await waitUntil(timeout: .seconds(10)) { try await screen().contains("province: Huế") })
            try await keys("v")
            #expect(try await waitUntil(timeout: .seconds(10)) { try await screen().contains("province: Cần Thơ") })
            try await keys("t")
            #expect(try await waitUntil(timeout: .seconds(10)) { try await screen().contains("·  1d") })

            // Resize: the frame is drawn again at the new size.
            try await terminal.resize(width: 90, height: 28)
            #expect(
                try await waitUntil(timeout: .seconds(10)) {
                    let lines = try await screen().split(separator: "\n", omittingEmptySubsequences: false)
                    return lines.count >= 28 && lines[27].contains("hjkl") && lines.allSatisfy { $0.count <= 90 }
                })

            try await keys("q")
            #expect(try await waitUntil(timeout: .seconds(10)) { try await screen().contains("EXITED:0") })
            let restored = try await terminal.display("#{alternate_on} #{cursor_flag}")
            #expect(restored.trimmingCharacters(in: .whitespacesAndNewlines) == "0 1")
            await simulator.stop()
        }
    }
}
