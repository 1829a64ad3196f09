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

/// Serves the demo world until standard input reaches end of file (the parent went away).
func serve() async throws {
    let simulator = try await Simulator(world: .demo(), host: "127.0.0.1", port: 0)
    print(simulator.port)
    fflush(nil)
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while read(STDIN_FILENO, &byte, 1) > 0 {}
            done.resume()
        }
    }
    await simulator.stop()
}

/// libcurl and the client's thread alone: fresh-connection transfers, `concurrency` at a time.
func client() async {
    let base = option("url", "")
    let transfers = Int(option("transfers", "20000")) ?? 20_000
    let concurrency = Int(option("concurrency", "20")) ?? 20
    // As for the probes: --paths status (answering at once, the default) or health (after 12-90 ms).
    let paths =
        option("paths", "status") == "status"
        ? ["test/status/200"]
        : [
            "hue/dvc/health", "ha-noi/lgsp/health", "da-nang/motcua/health", "ho-chi-minh/dvc/health",
            "can-tho/dvc/health",
        ]
    let client = HTTPClient(maxInFlight: concurrency)
    @Sendable func transfer(_ index: Int) async -> Bool {
        let url = "\(base)/\(paths[index % paths.count])?\(index)"
        return await client.perform(HTTPRequest(url: url, freshConnection: true)).failure != nil
    }
    func batch(_ count: Int) async -> Int {
        await withTaskGroup(of: Bool.self) { group in
            var started = 0
            var failed = 0
            while started < min(concurrency, count) {
                let index = started
                group.addTask { await transfer(index) }
                started += 1
            }
            while let result = await group.next() {
                if result { failed += 1 }
                if started < count {
                    let index = started
                    group.addTask { await transfer(index) }
                    started += 1
                }
            }
            return failed
        }
    }
    _ = await batch(500)
    let before = cpuSeconds()
    let failed = await batch(transfers)
    let cpu = cpuSeconds() - before
    await client.shutdown()
    print(
        "{\"mode\":\"client\",\"transfers\":\(transfers),\"failed\":\(failed),"
            + "\"cpu_us_per_transfer\":\(String(format: "%.1f", cpu / Double(transfers) * 1e6))}")
}

/// The whole pipeline: scheduler, probes over libcurl, results into samples, samples into the store.
func probes() async throws {
    let base = option("url", "")
    let count = Int(option("targets", "2000")) ?? 2000
    let interval = Int(option("interval", "5")) ?? 5
    let duration = Double(option("duration", "30")) ?? 30
    let warmup = Double(option("warmup", "6")) ?? 6
    // --paths status: endpoints that answer at once (as in the reference figures for libcurl and
    // blackbox_exporter); health: the simulator's health endpoints, answering after 12-90 ms.
    let paths =
        option("paths", "status") == "status"
        ? ["test/status/200"]
        : [
            "hue/dvc/health", "ha-noi/lgsp/health", "da-nang/motcua/health", "ho-chi-minh/dvc/health",
            "can-tho/dvc/health",
        ]
    let targets = (0..<count).map { index in
        let url = "\(base)/\(paths[index % paths.count])?target=\(index)"
        return ProbeTarget(
            labels: Labels(["job": "bench", "instance": url, "province": "Huế", "service": "dvc"]), url: url,
            interval: .seconds(interval), timeout: .seconds(2),
            location: SourceLocation(file: "bench", line: index + 1, column: 1))
    }
    let directory = NSTemporaryDirectory() + "/ioc-bench-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let writer = try SampleWriter(path: directory + "/ioc.db")
    let client = HTTPClient(maxInFlight: 512)
    let series = ProbeSeriesWriter()
    struct Window {
        var measuring = false
        var probes = 0
        var failed = 0
        var lateness: [Int64] = []
    }
    let window = Mutex(Window())
    // --sink: store (the daemon's path), samples (results made into samples, not stored), none.
    let sink = option("sink", "store")
    let batch = Int(option("batch-ms", "")).map { Duration.milliseconds($0) } ?? ProbeScheduler.defaultBatchWindow
    let scheduler = ProbeScheduler(targets: targets, prober: Prober(client: client), batchWindow: batch) {
        target, result, due in
        if sink != "none" {
            let samples = series.samples(for: target, result)
            if sink == "store" { writer.append(samples) }
        }
        window.withLock { window in
            guard window.measuring else { return }
            window.probes += 1
            if !result.success { window.failed += 1 }
            window.lateness.append(result.timestamp - due)
        }
    }
    let task = Task { await scheduler.run() }
    try await Task.sleep(for: .seconds(warmup))
    let before = cpuSeconds()
    window.withLock { $0.measuring = true }
    try await Task.sleep(for: .seconds(duration))
    window.withLock { $0.measuring = false }
    let cpu = cpuSeconds() - before
    task.cancel()
    await task.value
    await client.shutdown()
    await writer.close()
    let measured = window.withLock { $0 }
    let lateness = measured.lateness.sorted()
    let statistics = writer.statistics
    print(
        "{\"mode\":\"probes\",\"targets\":\(count),\"interval_s\":\(interval),\"probes\":\(measured.probes),"
            + "\"failed\":\(measured.failed),"
            + "\"cpu_us_per_probe\":\(String(format: "%.1f", cpu / Double(max(1, measured.probes)) * 1e6)),"
            + "\"lateness_p50_ms\":\(percentile(lateness, 0.5)),\"lateness_p99_ms\":\(percentile(lateness, 0.99)),"
            + "\"lateness_max_ms\":\(lateness.last ?? 0),\"peak_rss_mib\":\(String(format: "%.1f", peakRSSMiB())),"
            + "\"samples_written\":\(statistics.written),\"samples_dropped\":\(statistics.dropped),"
            + "\"skipped_busy\":\(scheduler.statistics.skippedBusy)}")
}
