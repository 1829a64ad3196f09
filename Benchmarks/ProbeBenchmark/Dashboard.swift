import Foundation
import Glibc
import IOCAlert
import IOCCore
import IOCReport
import IOCDashboard
import IOCHTTP
import IOCProbe
import IOCQuery
import IOCSimulator
import IOCStore
import Synchronization

/// The dashboard: a store as two hours of a daemon probing 170 targets (34 provinces × 5 services)
/// every 15 s leave it; the shipped overview at 200×60. A full frame (drawing every widget and
/// writing every cell, data loaded beforehand), the bytes of a refresh that changes nothing, and the
/// CPU that `ioc dashboard` (the release build beside this one) uses in a tmux window over
/// `--seconds`, refreshing every second.
func dashboard() throws {
    ProcessMemory.keepFreedMemoryForReuse()
    let seconds = Int(option("seconds", "20")) ?? 20
    let directory = NSTemporaryDirectory() + "/ioc-dashboard-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/ioc.db"
    let now = WallClock.nowMilliseconds() / 15_000 * 15_000
    let clock = Atomic<Int64>(now - 7_200_000)
    let writer = try SampleWriter(path: path, capacity: 1_000_000, clock: { clock.load(ordering: .relaxed) })
    fillDashboardStore(writer, now: now) { clock.store($0, ordering: .relaxed) }
    writer.close()
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    let files = try FileManager.default.contentsOfDirectory(atPath: repository + "/dashboards")
        .filter { $0.hasSuffix(".yaml") }.sorted().map { repository + "/dashboards/" + $0 }
    var app = DashboardApp(
        screens: try DashboardFile.loadAll(files).map { DashboardScreen(dashboard: $0, source: path) },
        selected: "overview")
    let reader = try StoreReader(path: path)
    var loads: [Double] = []
    for _ in 0..<5 { loads.append(milliseconds { app.data = app.shown.load(from: reader, now: now) }) }
    var frames: [Double] = []
    var bytes = 0
    for _ in 0..<200 {
        frames.append(
            milliseconds {
                var canvas = Canvas(width: 200, height: 60)
                app.draw(&canvas, newest: now, now: now, silenced: { _ in false })
                var renderer = Renderer(depth: .trueColor)
                bytes = renderer.render(canvas).utf8.count
            })
    }
    // A refresh whose data did not change what is shown.
    var renderer = Renderer(depth: .trueColor)
    var canvas = Canvas(width: 200, height: 60)
    app.draw(&canvas, newest: now, now: now, silenced: { _ in false })
    _ = renderer.render(canvas)
    app.data = app.shown.load(from: reader, now: now)
    var again = Canvas(width: 200, height: 60)
    app.draw(&again, newest: now, now: now, silenced: { _ in false })
    let unchanged = renderer.render(again).utf8.count
    // The process itself, idle in a terminal at a 1 s refresh.
    let cpu = idleDashboardCPU(store: path, repository: repository, in: directory, seconds: seconds)
    printFigures(
        "dashboard",
        [
            ("load_all_panels_ms", median(loads)), ("full_frame_200x60_ms", median(frames)),
            ("full_frame_bytes", Double(bytes)), ("unchanged_refresh_bytes", Double(unchanged)),
            ("idle_cpu_percent_at_1s_refresh", cpu),
        ])
}

/// Two hours of the probes of 34 provinces × 5 services at 15 s: success, duration, phases and
/// certificate expiry; `advance` moves the writer's clock.
func fillDashboardStore(_ writer: SampleWriter, now: Int64, advance: (Int64) -> Void) {
    var random = SplitMix64(seed: 3)
    for step in stride(from: now - 7_200_000, through: now, by: 15_000) {
        var batch: [LabeledSample] = []
        for (index, province) in ProvinceCatalogue.current.enumerated() {
            for service in ["dvc", "motcua", "lgsp", "egov", "mail"] {
                let base: [(String, String)] = [
                    ("job", "p\(index)"), ("instance", "https://\(service).p\(index).gov.vn/"),
                    ("province", province.name),
                    ("service", service),
                ]
                func add(_ name: String, _ value: Double, _ extra: [(String, String)] = []) {
                    batch.append(
                        LabeledSample(
                            labels: Labels(base + [("__name__", name)] + extra),
                            sample: Sample(timestamp: step, value: value)))
                }
                let latency = Double(30_000 + Int(random.next() % 200_000)) / 1e6
                add("probe_success", random.next() % 200 == 0 ? 0 : 1)
                add("probe_duration_seconds", latency)
                for phase in ["resolve", "connect", "tls", "processing", "transfer"] {
                    add("probe_http_duration_seconds", latency / 5, [("phase", phase)])
                }
                add("probe_ssl_earliest_cert_expiry", Double(now / 1000 + Int64(index) * 86_400))
            }
        }
        advance(step)
        writer.append(batch)
        if step % 900_000 == 0 { writer.flush() }
    }
}

/// The share of a core `ioc dashboard` takes, idle in tmux at a 1 s refresh over `store`, for
/// `seconds`; -1 where ioc or tmux is missing.
func idleDashboardCPU(store: String, repository: String, in directory: String, seconds: Int) -> Double {
    var cpu = -1.0
    let ioc = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/ioc"
    if FileManager.default.isExecutableFile(atPath: ioc)
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")
    {
        let socket = directory + "/tmux.sock"
        // IOC's ChildProcess: Foundation's Process would wait for the tmux server too, which
        // inherits its monitoring descriptor.
        func tmux(_ arguments: [String]) {
            let child = try? ChildProcess(
                "/usr/bin/tmux", ["-S", socket] + arguments, environment: ProcessInfo.processInfo.environment)
            _ = child?.waitBlocking(milliseconds: 10_000)
        }
        tmux([
            "new-session", "-d", "-s", "bench", "-x", "200", "-y", "60",
            "\(ioc) dashboard --db \(store) --dashboards '\(repository)/dashboards/*.yaml' --dashboard overview",
        ])
        Thread.sleep(forTimeInterval: 3)
        func ticks() -> Int? {
            let list = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            for entry in list where Int(entry) != nil {
                guard let command = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8),
                    command.hasPrefix(ioc + "\u{0}dashboard"),
                    let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { continue }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
                return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
            }
            return nil
        }
        if let before = ticks() {
            Thread.sleep(forTimeInterval: Double(seconds))
            if let after = ticks() {
                cpu = Double(after - before) / Double(sysconf(Int32(_SC_CLK_TCK))) / Double(seconds) * 100
            }
        }
        tmux(["kill-server"])
    }
    return cpu
}
