import Foundation
import IOCCore
import IOCDashboard
import IOCStore
import TestSupport
import Testing

/// The dashboard over a real store file.
@Suite struct DashboardTests {
    let now: Int64 = 1_795_924_300_000

    func probe(
        _ province: String, _ service: String, success: Double, latency: Double, age: Int64, code: Double = 200,
        degraded: Double = 0, now: Int64, interval: Int64 = 5_000
    ) -> [LabeledSample] {
        let base = Labels([
            "job": province, "instance": "http://sim/\(service)", "province": province, "service": service,
        ])
        func sample(_ metric: String, _ value: Double, _ time: Int64) -> LabeledSample {
            var labels = base
            labels[Labels.metricName] = metric
            return LabeledSample(labels: labels, sample: Sample(timestamp: time, value: value))
        }
        let last = now - age
        return [
            sample("probe_success", success, last - interval), sample("probe_success", success, last),
            sample("probe_duration_seconds", latency, last), sample("probe_http_status_code", code, last),
            sample("probe_degraded", degraded, last),
        ]
    }

    /// A store with five targets whose last results are `now` minus a few seconds.
    /// `interval`: the time between a target's two results, which sets when its last one is stale
    /// (three intervals, 30 s at least).
    func store(_ directory: TemporaryDirectory, now: Int64, interval: Int64 = 5_000) throws -> String {
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        writer.append(probe("Huế", "dvc", success: 1, latency: 0.042, age: 1_000, now: now, interval: interval))
        writer.append(
            probe("Cần Thơ", "lgsp", success: 0, latency: 0.021, age: 2_000, code: 500, now: now, interval: interval))
        writer.append(
            probe(
                "Hồ Chí Minh", "motcua", success: 1, latency: 1.25, age: 3_000, degraded: 1, now: now,
                interval: interval))
        // Last seen two minutes ago with a 5 s interval: stale, whatever its last value.
        writer.append(probe("Đà Nẵng", "dvc", success: 1, latency: 0.03, age: 120_000, now: now))
        // A hostile label value must not reach the terminal as an escape sequence.
        writer.append(probe("Hà Nội\u{1B}]0;pwned\u{07}", "dvc", success: 1, latency: 0.01, age: 500, now: now))
        writer.close()
        return path
    }

    @Test func aSnapshotListsTargetsWithWhatNeedsAttentionFirst() throws {
        let directory = try TemporaryDirectory()
        let path = try store(directory, now: now)
        let text = Dashboard(storePath: path, language: .en).snapshot(width: 100, height: 12, now: now)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 12)
        #expect(lines[0].contains("5 targets"))
        #expect(lines[0].contains("▲ 2 up"))
        #expect(lines[0].contains("◆ 1 degraded"))
        #expect(lines[0].contains("▼ 1 down"))
        #expect(lines[0].contains("? 1 stale"))
        #expect(lines[0].contains("2026-11-29 10:51:40 +07"))
        #expect(lines[2].contains("STATE") && lines[2].contains("LATENCY"))
        #expect(lines[3].hasPrefix(" DOWN      Cần Thơ"))
        #expect(lines[3].contains("21 ms") && lines[3].contains("500"))
        #expect(lines[4].hasPrefix(" STALE     Đà Nẵng"))
        #expect(lines[4].contains("2m"))
        #expect(lines[5].hasPrefix(" DEGRADED  Hồ Chí Minh") && lines[5].contains("1.3 s"))
        #expect(!text.contains("\u{1B}"))
        #expect(!text.contains("\u{07}"))
        #expect(text.contains("Hà Nội") && !text.contains("pwned"))
        for line in lines { #expect(TerminalText.width(of: line) <= 100) }
    }

    /// Status codes and latencies a feed could write (NaN, ±Inf, 1e300): the targets view shows
    /// them, and does not trap.
    @Test func hostileValuesInTheTargetsView() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        for (index, value) in [Double.nan, .infinity, -.infinity, 1e300, -1e300, 1e19].enumerated() {
            writer.append(probe("P\(index)", "dvc", success: value, latency: value, age: 1_000, code: value, now: now))
        }
        writer.close()
        let text = Dashboard(storePath: path, language: .en).snapshot(width: 100, height: 12, now: now)
        #expect(text.contains("6 targets"), "\(text)")
    }

    @Test func aMissingStoreIsShownNotFatal() throws {
        let directory = try TemporaryDirectory()
        let text = Dashboard(storePath: directory.file("none.db"), language: .en).snapshot(
            width: 80, height: 8, now: now)
        #expect(text.contains("Waiting for the store"))
        #expect(text.contains("0 targets"))
    }

    /// The live dashboard in a real terminal (tmux): it shows the targets, and `q` restores the terminal.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")))
    func theLiveDashboardRunsInATerminalAndQuitsOnQ() async throws {
        // A terminal: it takes turns with the daemons of the other suites (see HeavyTests).
        try await HeavyTests.one {
            let directory = try TemporaryDirectory()
            // Results ten minutes apart: still fresh when a loaded machine takes a minute to show them
            // (at 5 s apart, a terminal that started late showed every target stale).
            let path = try store(directory, now: WallClock.nowMilliseconds(), interval: 600_000)
            let ioc = try BuiltProduct.path("ioc")
            // A shell runs the dashboard and then prints a marker, so that we see the terminal after it exits.
            let script = try directory.write(
                "run.sh", "IOC_LANG=vi \(ioc) dashboard --db '\(path)'; echo \"EXITED:$?\"; sleep 60\n")
            let terminal = try await TmuxSession(running: script, in: directory, width: 110, height: 20)
            // Deadlines bound a failure only: a debug build starting beside the suite can take seconds.
            var screen = ""
            let shown = try await waitUntil(timeout: .seconds(45)) {
                screen = try await terminal.screen()
                // Vietnamese unless IOC_LANG or the locale says otherwise.
                return screen.contains("Cần Thơ") && screen.contains("NGỪNG") && screen.contains("TÌNH TRẠNG")
            }
            #expect(shown, "\(screen)")
            let alternate = try await terminal.display("#{alternate_on}")
            #expect(alternate.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
            try await terminal.keys("q")
            let exited = try await waitUntil(timeout: .seconds(30)) { try await terminal.screen().contains("EXITED:0") }
            #expect(exited)
            screen = try await terminal.screen()
            #expect(!screen.contains("TÌNH TRẠNG"))
            let restored = try await terminal.display("#{alternate_on} #{cursor_flag}")
            #expect(restored.trimmingCharacters(in: .whitespacesAndNewlines) == "0 1")
        }
    }

    /// Should the dashboard ever crash, the terminal is given back: cooked mode, main screen, cursor.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")))
    func aCrashingDashboardGivesTheTerminalBack() async throws {
        // A terminal: it takes turns with the daemons of the other suites (see HeavyTests).
        try await HeavyTests.one { try await crashTheDashboard() }
    }

    private func crashTheDashboard() async throws {
        let directory = try TemporaryDirectory()
        let path = try store(directory, now: WallClock.nowMilliseconds())
        let ioc = try BuiltProduct.path("ioc")
        let pidFile = directory.file("ioc.pid")
        // A shell writes its pid and becomes the dashboard. Swift's backtracer, which runs after the
        // terminal is restored, is told not to wait for keys.
        let script = try directory.write(
            "run.sh",
            "SWIFT_BACKTRACE=interactive=no /bin/sh -c 'echo $$ > \(pidFile); exec \(ioc) dashboard --db \(path)'; sleep 60\n"
        )
        let terminal = try await TmuxSession(running: script, in: directory, width: 110, height: 30)
        let tty = try await terminal.display("#{pane_tty}").trimmingCharacters(in: .whitespacesAndNewlines)
        func mode() async throws -> String { try await TestProcess.run("/bin/stty", ["-a", "-F", tty]).stdout }
        #expect(
            try await waitUntil(timeout: .seconds(45)) {
                try await terminal.display("#{alternate_on}").hasPrefix("1")
            })
        #expect(try await mode().contains("-icanon"))
        let pid = try #require(
            pid_t(
                (try String(contentsOfFile: pidFile, encoding: .utf8)).trimmingCharacters(
                    in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        // A fatal signal, as a trap or a fault would raise.
        kill(pid, SIGILL)
        let given = try await waitUntil(timeout: .seconds(45)) {
            let cooked = try await mode().split(separator: " ").contains { $0 == "icanon" }
            let screen = try await terminal.display("#{alternate_on} #{cursor_flag}")
            return cooked && screen.trimmingCharacters(in: .whitespacesAndNewlines) == "0 1"
        }
        let final = try await mode()
        #expect(given, "\(final)")
    }
}
