// ioc-bench: the probe engine's figures for BENCHMARKS.md. `make bench` runs `ioc-bench all`.
//
//   ioc-bench all [--runs 3] [--duration 30]    every figure, each run in a fresh process, medians
//   ioc-bench probes --url BASE --targets N --interval 5 --duration 30 --warmup 6
//   ioc-bench client --url BASE --transfers N --concurrency C
//   ioc-bench serve                               the simulator, until standard input closes
//   ioc-bench chunks [--series 1000] [--samples 480]   bytes per sample of the chunk codec
//   ioc-bench ingest [--series 10000] [--hours 26]     the store alone: ingest, bytes, queries
//   ioc-bench history [--series 100] [--days 90]       the store after months: restart, 30-day queries
//   ioc-bench promql [--runs 9] [--only NAME]          the query engine: the issue 5 queries over the store
//   ioc-bench rules [--cycles 20]                      1,000 alert rules over 10,000 series, per cycle
//   ioc-bench dashboard [--seconds 20]                 the overview's frame time, bytes, and idle CPU
//   ioc-bench crashload --path P [--series 200] [--start MS]   writes until killed (for a test)
//
// CPU time is this process's own (getrusage), so the simulator, which runs in a child process, is
// not counted; it includes libcurl, the scheduler, the probe results and the store's writer thread.
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

func option(_ name: String, _ fallback: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func percentile(_ sorted: [Int64], _ fraction: Double) -> Int64 {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

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

/// Runs `arguments` in a fresh process of this program and returns its last output line as JSON.
func child(_ arguments: [String]) throws -> [String: Any] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    return (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? ["error": line]
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
}

func all() throws {
    let runs = Int(option("runs", "3")) ?? 3
    let duration = option("duration", "30")
    let server = Process()
    server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    server.arguments = ["serve"]
    let serverInput = Pipe()
    let serverOutput = Pipe()
    server.standardInput = serverInput
    server.standardOutput = serverOutput
    try server.run()
    let portLine = serverOutput.fileHandleForReading.availableData
    guard let port = Int(String(decoding: portLine, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    else {
        throw BenchmarkError(description: "the simulator did not start")
    }
    let base = "http://127.0.0.1:\(port)"
    print("Simulator (demo world) in a child process at \(base); \(runs) runs of each, medians shown.\n")
    func report(_ title: String, _ arguments: [String], _ keys: [String]) throws {
        var values: [String: [Double]] = [:]
        for run in 1...runs {
            let result = try child(arguments + ["--url", base])
            let line = keys.map { "\($0)=\(result[$0].map { "\($0)" } ?? "?")" }.joined(separator: " ")
            print("  run \(run): \(line)")
            fflush(nil)
            for key in keys {
                if let number = result[key] as? NSNumber { values[key, default: []].append(number.doubleValue) }
            }
        }
        print(
            "\(title)\n  median: "
                + keys.map { "\($0)=\(String(format: "%.1f", median(values[$0] ?? [])))" }.joined(separator: " ")
                + "\n")
        fflush(nil)
    }
    let probeKeys = [
        "cpu_us_per_probe", "lateness_p50_ms", "lateness_p99_ms", "lateness_max_ms", "peak_rss_mib", "probes", "failed",
        "samples_dropped",
    ]
    for (paths, what) in [
        ("status", "endpoints answering at once"), ("health", "health endpoints answering after 12-90 ms"),
    ] {
        try report(
            "baseline, \(what): libcurl transfers through HTTPClient alone, 20 at a time, fresh connection each",
            ["client", "--transfers", "20000", "--concurrency", "20", "--paths", paths],
            ["cpu_us_per_transfer", "failed"])
        for targets in ["2000", "5000"] {
            try report(
                "\(targets) targets at 5 s for \(duration) s, \(what), probes written to the store",
                ["probes", "--targets", targets, "--interval", "5", "--duration", duration, "--paths", paths], probeKeys
            )
        }
    }
    serverInput.fileHandleForWriting.closeFile()
    server.waitUntilExit()
}

/// Bytes per sample of the chunk codec alone (no index, no SQLite pages) on probe-like data: 2-hour
/// chunks of samples every 15 s with a few ms of jitter, for the series an HTTP probe writes.
func chunks() {
    var random = SystemRandomNumberGenerator()
    let series = Int(option("series", "1000")) ?? 1000
    let perChunk = Int(option("samples", "480")) ?? 480
    var kinds: [String: (bytes: Int, samples: Int)] = [:]
    var encoded: [[UInt8]] = []
    var compact: [CompactSamples] = []
    for index in 0..<series {
        let times = (0..<perChunk).map {
            1_795_000_000_000 + Int64($0) * 15_000 + Int64.random(in: -4...4, using: &random)
        }
        let base = Double.random(in: 0.02...0.4, using: &random)
        let values: [(String, [Double])] = [
            // libcurl reports durations in whole microseconds.
            (
                "probe_duration_seconds",
                times.map { _ in (base * Double.random(in: 0.7...1.6, using: &random) * 1e6).rounded() / 1e6 }
            ),
            ("probe_http_status_code", times.map { _ in Int.random(in: 0..<1000, using: &random) == 0 ? 503 : 200 }),
            ("probe_success", times.map { _ in Int.random(in: 0..<1000, using: &random) == 0 ? 0 : 1 }),
            ("probe_http_content_length", times.map { _ in Double(1200 + index % 7) }),
        ]
        for (kind, series) in values {
            let chunk = ChunkCodec.encode(zip(times, series).map { Sample(timestamp: $0, value: $1) })
            kinds[kind, default: (0, 0)].bytes += chunk.count
            kinds[kind, default: (0, 0)].samples += perChunk
            encoded.append(chunk)
            var open = CompactSamples(base: times[0] - times[0] % 3_600_000)
            for (time, value) in zip(times, series) { open.append(Sample(timestamp: time, value: value)) }
            compact.append(open)
        }
    }
    for (kind, total) in kinds.sorted(by: { $0.key < $1.key }) {
        print("\(kind): \(String(format: "%.3f", Double(total.bytes) / Double(total.samples))) bytes/sample")
    }
    let bytes = kinds.values.reduce(0) { $0 + $1.bytes }
    let samples = kinds.values.reduce(0) { $0 + $1.samples }
    print("all: \(String(format: "%.3f", Double(bytes) / Double(samples))) bytes/sample over \(samples) samples")
    // Decoding speed, the best of 5 passes over every chunk.
    var best = Double.infinity
    var decoded = 0
    for _ in 0..<5 {
        var buffer: [Sample] = []
        best = min(
            best,
            milliseconds {
                for chunk in encoded {
                    buffer.removeAll(keepingCapacity: true)
                    try? ChunkCodec.decode(padded: chunk + [0, 0, 0, 0, 0, 0, 0, 0], count: chunk.count, into: &buffer)
                    decoded = buffer.count
                }
            })
    }
    print("decode: \(String(format: "%.1f", best * 1e6 / Double(samples))) ns/sample (\(decoded) per chunk)")
    // The open chunks' byte-aligned form, as the reader of the open hour decodes it.
    best = .infinity
    for _ in 0..<5 {
        var buffer: [Sample] = []
        best = min(
            best,
            milliseconds {
                for open in compact {
                    buffer.removeAll(keepingCapacity: true)
                    open.decode(from: .min, through: .max, into: &buffer)
                    decoded = buffer.count
                }
            })
    }
    print("open chunk decode: \(String(format: "%.1f", best * 1e6 / Double(samples))) ns/sample")
}

/// What the kernel counted this process writing: `wchar` (every write call, page cache included)
/// and `write_bytes` (what reached the block layer), from /proc/self/io.
func writtenBytes() -> (calls: Int64, device: Int64) {
    guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return (0, 0) }
    var fields: [String: Int64] = [:]
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: ":")
        if parts.count == 2 { fields[String(parts[0])] = Int64(parts[1].trimmingCharacters(in: .whitespaces)) }
    }
    return (fields["wchar"] ?? 0, fields["write_bytes"] ?? 0)
}

/// The resident set now, from /proc/self/statm.
func residentMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Double(fields[1]) ?? 0) * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576 : 0
}

/// The store file's pages in use (the file less its free pages), WAL included.
func storeBytes(_ path: String) -> Int64 {
    var size: Int64 = 0
    for name in [path, path + "-wal"] {
        size += ((try? FileManager.default.attributesOfItem(atPath: name))?[.size] as? Int64) ?? 0
    }
    return size
}

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
}

/// Probe-like data as a daemon makes it: per target four series (a latency in whole microseconds
/// with noise around the target's own base, a status code that is almost always 200, success that
/// is almost always 1, a constant content length), every 15 s at the target's fixed offset in the
/// interval.
struct ProbeLikeData {
    let targets: Int
    let labels: [[Labels]]
    let base: [Double]
    var random = SplitMix64(seed: 766)

    init(series: Int) {
        targets = max(1, series / 4)
        labels = (0..<targets).map { target in
            let instance = "https://dvc.province\(target % 34).example.vn/service/\(target)"
            return ["probe_duration_seconds", "probe_http_status_code", "probe_success", "probe_http_content_length"]
                .map { Labels([("__name__", $0), ("instance", instance), ("job", "bench")]) }
        }
        var random = SplitMix64(seed: 34)
        base = (0..<targets).map { _ in 0.02 + Double(random.next() % 380) / 1000 }
    }

    /// The samples of the targets due in the second that starts at `second` (ms since `start`).
    mutating func samples(at time: Int64, since start: Int64, into batch: inout [LabeledSample]) {
        let slot = Int(((time - start) / 1000) % 15)
        for target in (slot * targets / 15)..<((slot + 1) * targets / 15) {
            // Aligned to the schedule (as the daemon stamps a probe that starts within 50 ms of its
            // time), except the one probe in a hundred that started later than that.
            let late = random.next() % 100 == 0 ? 50 + Int64(random.next() % 200) : 0
            let timestamp = time + Int64(target * 15_000 / targets % 1000) + late
            let roll = random.next() % 1000
            let latency = (base[target] * (0.7 + Double(random.next() % 900) / 1000) * 1e6).rounded() / 1e6
            let values: [Double] = [latency, roll == 0 ? 503 : 200, roll == 0 ? 0 : 1, Double(1200 + target % 7)]
            for (labels, value) in zip(labels[target], values) {
                batch.append(LabeledSample(labels: labels, sample: Sample(timestamp: timestamp, value: value)))
            }
        }
    }
}

/// The matchers of the first target's latency series, the "one series" of the store's queries.
func oneSeries(_ data: ProbeLikeData) throws -> [LabelMatcher] {
    [
        try LabelMatcher("instance", .equal, data.labels[0][0]["instance"] ?? ""),
        try LabelMatcher("__name__", .equal, "probe_duration_seconds"),
    ]
}

/// Opens the store again (replaying its log) and times it until a query is answered.
func restart(
    _ path: String, clock: @escaping @Sendable () -> Int64, answering one: [LabelMatcher], at end: Int64
) throws
    -> (milliseconds: Double, writer: SampleWriter)
{
    var reopened: SampleWriter?
    var answered = 0
    let elapsed = try milliseconds {
        let writer = try SampleWriter(path: path, clock: clock)
        answered = try writer.makeReader().select(one, from: end - 300_000, through: end).first?.samples.count ?? 0
        reopened = writer
    }
    guard let reopened, answered > 0 else { throw BenchmarkError(description: "nothing answered after the restart") }
    return (elapsed, reopened)
}

/// One line of JSON: the mode, then each figure (whole numbers as such, others to 3 decimals).
func printFigures(_ mode: String, _ figures: [(String, Double)]) {
    let fields = figures.map { name, value in
        "\"\(name)\":"
            + (value == value.rounded() && abs(value) < 1e15 ? "\(Int64(value))" : String(format: "%.3f", value))
    }
    print("{\"mode\":\"\(mode)\"," + fields.joined(separator: ",") + "}")
}

/// The store alone, as the daemon drives it: `series` probe-like series for `hours`, each second's
/// samples appended and committed (about 667 per commit at 10,000 series), the writer's clock
/// following the data. Then queries through a reader in the same process (open chunks from
/// memory, as the daemon's rules and API read) and through a reader of the file alone (as
/// `ioc query` and the dashboard read), medians of `--runs`.
func ingest() throws {
    let seriesCount = Int(option("series", "10000")) ?? 10_000
    let hours = Int(option("hours", "26")) ?? 26
    let runs = Int(option("runs", "9")) ?? 9
    let directory = NSTemporaryDirectory() + "/ioc-ingest-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let keep = CommandLine.arguments.contains("--keep")
    defer { if !keep { try? FileManager.default.removeItem(atPath: directory) } }
    let path = directory + "/ioc.db"
    let start: Int64 = 1_795_046_400_000  // a UTC midnight
    let clock = Atomic<Int64>(start)
    let writer = try SampleWriter(
        path: path, capacity: seriesCount * 2, flushInterval: .seconds(3600), clock: { clock.load(ordering: .relaxed) })
    var data = ProbeLikeData(series: seriesCount)
    var batch: [LabeledSample] = []
    batch.reserveCapacity(seriesCount)
    let residentBefore = residentMiB()
    let cpuBefore = cpuSeconds()
    let writtenBefore = writtenBytes()
    let end = start + Int64(hours) * 3_600_000
    for time in stride(from: start, to: end, by: 1000) {
        clock.store(time, ordering: .relaxed)
        batch.removeAll(keepingCapacity: true)
        data.samples(at: time, since: start, into: &batch)
        writer.append(batch)
        writer.flush()
    }
    let cpu = cpuSeconds() - cpuBefore
    let written = writtenBytes()
    let samples = writer.statistics.written
    let resident = peakRSSMiB()
    let storeResident = residentMiB() - residentBefore

    let live = try writer.makeReader()
    let file = try StoreReader(path: path)
    let all = [try LabelMatcher("job", .equal, "bench")]
    let one = try oneSeries(data)
    var figures: [(String, Double)] = []
    let readers = option("readers", "memory,file").split(separator: ",")
    for (name, reader) in [("memory", live), ("file", file)] where readers.contains(Substring(name)) {
        var last5 = [Double]()
        var day = [Double]()
        var dayRollups = [Double]()
        var lookup = [Double]()
        var count = 0
        let id = try reader.series(matching: one)[0].id
        for _ in 0..<runs {
            lookup.append(try milliseconds { _ = try reader.series(matching: all) })
            last5.append(
                try milliseconds {
                    count = try reader.select(all, from: end - 300_000, through: end).reduce(0) {
                        $0 + $1.samples.count
                    }
                })
            day.append(try milliseconds { _ = try reader.select(one, from: end - 86_400_000, through: end) })
            dayRollups.append(
                try milliseconds {
                    _ = try reader.rollups(ofSeries: id, resolution: 3_600_000, from: end - 86_400_000, through: end)
                })
        }
        figures += [
            ("\(name)_last_5m_all_series_ms", median(last5)), ("\(name)_all_series_lookup_ms", median(lookup)),
            ("\(name)_last_5m_samples", Double(count)),
            ("\(name)_one_series_24h_ms", median(day)),
            ("\(name)_one_series_24h_hourly_rollups_ms", median(dayRollups)),
        ]
    }
    writer.close()
    let size = storeBytes(path)
    // A restart with the last hour in the log: open, replay, answer.
    let restarted = try restart(path, clock: { clock.load(ordering: .relaxed) }, answering: one, at: end)
    restarted.writer.close()
    let total = Double(samples)
    var results: [(String, Double)] = [("series", Double(seriesCount)), ("hours", Double(hours)), ("samples", total)]
    results.append(("samples_per_cpu_second", total / cpu))
    results.append(("writer_samples_per_cpu_second", total / writer.statistics.cpuSeconds))
    results.append(("bytes_per_sample_on_disk", Double(size) / total))
    results.append(("bytes_written_per_sample", Double(written.calls - writtenBefore.calls) / total))
    results.append(("device_bytes_written_per_sample", Double(written.device - writtenBefore.device) / total))
    results += [
        ("chunks", Double(writer.statistics.chunks)), ("peak_rss_mib", resident), ("store_rss_mib", storeResident),
    ]
    printFigures("ingest", results + figures + [("restart_until_queryable_ms", restarted.milliseconds)])
}

/// Months of history for a few series, backfilled an hour at a time; then the restart (opening the
/// writer, which replays its log, until a first query is answered) and queries over 30 days.
func history() throws {
    let seriesCount = Int(option("series", "100")) ?? 100
    let days = Int(option("days", "90")) ?? 90
    let runs = Int(option("runs", "9")) ?? 9
    let directory = NSTemporaryDirectory() + "/ioc-history-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/ioc.db"
    let start: Int64 = 1_795_046_400_000
    let end = start + Int64(days) * 86_400_000 - 1_800_000  // the last hour half full: an open chunk
    let clock = Atomic<Int64>(start)
    var data = ProbeLikeData(series: seriesCount)
    var writer: SampleWriter? = try SampleWriter(
        path: path, capacity: seriesCount * 4 * 240, flushInterval: .seconds(3600),
        clock: { clock.load(ordering: .relaxed) })
    var batch: [LabeledSample] = []
    let cpuBefore = cpuSeconds()
    for hour in stride(from: start, to: end, by: 3_600_000) {
        batch.removeAll(keepingCapacity: true)
        for time in stride(from: hour, to: min(hour + 3_600_000, end), by: 1000) {
            data.samples(at: time, since: start, into: &batch)
        }
        clock.store(min(hour + 3_600_000, end), ordering: .relaxed)
        writer?.append(batch)
        writer?.flush()
    }
    let cpu = cpuSeconds() - cpuBefore
    let samples = writer?.statistics.written ?? 0
    writer?.close()
    writer = nil
    let size = storeBytes(path)
    let one = try oneSeries(data)
    let (restartMilliseconds, reopened) = try restart(
        path, clock: { clock.load(ordering: .relaxed) }, answering: one, at: end)
    var figures: [(String, Double)] = [("restart_until_queryable_ms", restartMilliseconds)]
    for (name, reader) in [("memory", try reopened.makeReader()), ("file", try StoreReader(path: path))] {
        let id = try reader.series(matching: one)[0].id
        var raw = [Double]()
        var hourly = [Double]()
        var count = 0
        for _ in 0..<runs {
            raw.append(
                try milliseconds {
                    count = try reader.select(one, from: end - 30 * 86_400_000, through: end)[0].samples.count
                })
            hourly.append(
                try milliseconds {
                    _ = try reader.rollups(
                        ofSeries: id, resolution: 3_600_000, from: end - 30 * 86_400_000, through: end)
                })
        }
        figures += [
            ("\(name)_one_series_30d_ms", median(raw)), ("\(name)_one_series_30d_samples", Double(count)),
            ("\(name)_one_series_30d_hourly_rollups_ms", median(hourly)),
        ]
    }
    reopened.close()
    printFigures(
        "history",
        [
            ("series", Double(seriesCount)), ("days", Double(days)), ("samples", Double(samples)),
            ("samples_per_cpu_second", Double(samples) / cpu),
            ("bytes_per_sample_on_disk", Double(size) / Double(samples)),
        ] + figures)
}

/// The query engine over the store, through the daemon's reader: 10,000 counters (34 provinces)
/// for 2 hours and 300 latency gauges for 25 hours, at 15 s; the issue's three queries, medians of
/// `--runs`.
func promql() throws {
    // As iocd does at its start.
    ProcessMemory.keepFreedMemoryForReuse()
    let runs = Int(option("runs", "9")) ?? 9
    let only = option("only", "")
    let directory = NSTemporaryDirectory() + "/ioc-promql-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/ioc.db"
    let start: Int64 = 1_795_046_400_000
    let end = start + 25 * 3_600_000
    let clock = Atomic<Int64>(start)
    let writer = try SampleWriter(path: path, capacity: 3_000_000, clock: { clock.load(ordering: .relaxed) })
    var random = SplitMix64(seed: 5)
    let counters = (0..<10_000).map { index in
        Labels([
            ("__name__", "dossiers_total"),
            ("province", ProvinceCatalogue.current[index % ProvinceCatalogue.current.count].name),
            ("instance", "service-\(index)"),
        ])
    }
    let gauges = (0..<300).map { index in
        Labels([
            ("__name__", "latency_seconds"),
            ("province", ProvinceCatalogue.current[index % ProvinceCatalogue.current.count].name),
            ("instance", "portal-\(index)"),
        ])
    }
    var totals = [Double](repeating: 0, count: counters.count)
    var batch: [LabeledSample] = []
    for hour in stride(from: start, to: end, by: 3_600_000) {
        batch.removeAll(keepingCapacity: true)
        for time in stride(from: hour, to: hour + 3_600_000, by: 15_000) {
            for (index, labels) in gauges.enumerated() {
                let value = Double(20_000 + Int(random.next() % 400_000) + index) / 1e6
                batch.append(LabeledSample(labels: labels, sample: Sample(timestamp: time, value: value)))
            }
            guard time >= end - 2 * 3_600_000 else { continue }
            for (index, labels) in counters.enumerated() {
                totals[index] += Double(random.next() % 10)
                batch.append(LabeledSample(labels: labels, sample: Sample(timestamp: time, value: totals[index])))
            }
        }
        clock.store(hour + 3_600_000, ordering: .relaxed)
        writer.append(batch)
        writer.flush()
    }
    let reader = try writer.makeReader()
    let uncached = try writer.makeReader(cachingDecodedChunks: false)
    let engine = Engine()
    let last = end - 15_000
    // Wall-clock time, and the processor time of all threads (which the machine's other tenants
    // disturb less: it shows the work, not the wait for a core). `cold` reads through a reader that
    // decodes every chunk, as a first query does; otherwise the daemon's reader, whose cache of
    // decoded chunks the first run fills, as a dashboard's refreshes find it.
    func measure(_ text: String, range: Bool = false, cold: Bool = false) throws -> (Double, Double, Int) {
        let reader = cold ? uncached : reader
        let query = try Query(parsing: text)
        var times: [Double] = []
        var processor: [Double] = []
        var count = 0
        for _ in 0..<runs {
            let before = cpuSeconds()
            defer { processor.append((cpuSeconds() - before) * 1e3) }
            times.append(
                try milliseconds {
                    if range {
                        count = try engine.range(
                            query, start: last - 86_400_000, end: last, step: 60_000, source: reader
                        )
                        .reduce(0) { $0 + $1.samples.count }
                    } else if case .vector(let elements) = try engine.instant(query, at: last, source: reader) {
                        count = elements.count
                    }
                })
        }
        return (median(times), median(processor), count)
    }
    // The loading alone, for reading the figures: 24 hours of the 300 gauges, 1 hour of the counters.
    let gauges24h = [try LabelMatcher("__name__", .equal, "latency_seconds")]
    let counters1h = [try LabelMatcher("__name__", .equal, "dossiers_total")]
    var figures: [(String, Double)] = [
        (
            "select_24h_300_series_ms",
            median(
                try (0..<runs).map { _ in
                    try milliseconds { _ = try uncached.select(gauges24h, from: last - 86_700_000, through: last) }
                })
        ),
        (
            "select_1h_10000_series_ms",
            median(
                try (0..<runs).map { _ in
                    try milliseconds { _ = try uncached.select(counters1h, from: last - 3_600_000, through: last) }
                })
        ),
    ]
    for (name, text, range, cold) in [
        ("sum_by_province_rate_5m", "sum by (province) (rate(dossiers_total[5m]))", false, false),
        ("avg_over_time_1h_all_series", "avg_over_time(dossiers_total[1h])", false, false),
        ("range_24h_1m_rate_300_series_cold", "rate(latency_seconds[5m])", true, true),
        ("range_24h_1m_rate_300_series", "rate(latency_seconds[5m])", true, false),
        ("range_24h_1m_avg_by_province_300_series_cold", "avg by (province) (latency_seconds)", true, true),
        ("range_24h_1m_avg_by_province_300_series", "avg by (province) (latency_seconds)", true, false),
    ] where only.isEmpty || name.hasPrefix(only) {
        let (time, processor, count) = try measure(text, range: range, cold: cold)
        figures += [("\(name)_ms", time), ("\(name)_cpu_ms", processor), ("\(name)_points", Double(count))]
    }
    writer.close()
    printFigures("promql", figures)
}

/// For the crash test: writes `series` series at an interval of 15 s of data time per commit,
/// from `start` for up to 48 hours of data (about 4 seconds of it per wall-clock second at most),
/// so that hours close every few seconds; it is meant to be killed.
func crashload() throws {
    let path = option("path", "ioc.db")
    let seriesCount = Int(option("series", "200")) ?? 200
    let start = Int64(option("start", "1795046400000")) ?? 1_795_046_400_000
    let clock = Atomic<Int64>(start)
    let writer = try SampleWriter(path: path, capacity: seriesCount * 4, clock: { clock.load(ordering: .relaxed) })
    let labels = (0..<seriesCount).map { Labels([("__name__", "crash_load"), ("series", String($0))]) }
    var random = SplitMix64(seed: UInt64(start))
    for time in stride(from: start, to: start + 48 * 3_600_000, by: 15_000) {
        clock.store(time, ordering: .relaxed)
        writer.append(
            labels.map {
                LabeledSample(
                    labels: $0, sample: Sample(timestamp: time, value: Double(random.next() % 100_000) / 1000))
            })
        writer.flush()
    }
    writer.close()
}

/// The rule evaluator over the store, through the daemon's reader: 10,000 series (5,000 probe
/// results and 5,000 durations of 500 services × 10 instances, an hour at 15 s), 1,000 alerting rules
/// in 20 groups (500 `probe_success{service=...} == 0` and 500 `avg_over_time(...[5m]) > 0.5`, about
/// a tenth of them firing). Each cycle evaluates every group once, as the scheduler would, a cycle
/// 15 s of data time after the one before; the median and the slowest cycle of `--cycles`.
func rules() throws {
    ProcessMemory.keepFreedMemoryForReuse()
    let cycles = Int(option("cycles", "20")) ?? 20
    let directory = NSTemporaryDirectory() + "/ioc-rules-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let start: Int64 = 1_795_046_400_000
    let clock = Atomic<Int64>(start)
    let writer = try SampleWriter(
        path: directory + "/ioc.db", capacity: 1_000_000, clock: { clock.load(ordering: .relaxed) })
    var random = SplitMix64(seed: 9)
    let services = 500
    func labels(_ name: String, _ service: Int, _ instance: Int) -> Labels {
        Labels([
            ("__name__", name), ("job", "portal"), ("service", "svc-\(service)"),
            ("instance", "https://svc-\(service)-\(instance).example/"),
            ("province", ProvinceCatalogue.current[service % ProvinceCatalogue.current.count].name),
        ])
    }
    func write(until end: Int64, from begin: Int64) {
        var batch: [LabeledSample] = []
        for time in stride(from: begin, to: end, by: 15_000) {
            for service in 0..<services {
                // A tenth of the services fail; a tenth of the others are slow.
                let down = service % 10 == 3
                let slow = service % 10 == 7
                for instance in 0..<10 {
                    batch.append(
                        LabeledSample(
                            labels: labels("probe_success", service, instance),
                            sample: Sample(timestamp: time, value: down ? 0 : 1)))
                    let duration = Double(Int(random.next() % 200_000) + (slow ? 600_000 : 20_000)) / 1e6
                    batch.append(
                        LabeledSample(
                            labels: labels("probe_duration_seconds", service, instance),
                            sample: Sample(timestamp: time, value: duration)))
                }
            }
            if batch.count >= 500_000 {
                clock.store(time, ordering: .relaxed)
                writer.append(batch)
                writer.flush()
                batch.removeAll(keepingCapacity: true)
            }
        }
        clock.store(end, ordering: .relaxed)
        writer.append(batch)
        writer.flush()
    }
    var now = start + 3_600_000
    write(until: now, from: start)
    var text = "groups:\n"
    for group in 0..<20 {
        text += "  - name: group-\(group)\n    rules:\n"
        for rule in 0..<50 {
            let service = group * 25 + rule / 2
            if rule % 2 == 0 {
                text += "      - alert: ServiceDown\n"
                text += "        expr: probe_success{service=\"svc-\(service)\"} == 0\n"
                text += "        for: 1m\n        labels: {severity: critical}\n"
                text += "        annotations: {summary: '{{ $labels.instance }} of {{ $labels.province }} is down'}\n"
            } else {
                text += "      - alert: ServiceSlow\n"
                text += "        expr: avg_over_time(probe_duration_seconds{service=\"svc-\(service)\"}[5m]) > 0.5\n"
                text += "        for: 2m\n        labels: {severity: warning}\n"
                text +=
                    "        annotations: {summary: '{{ $labels.instance }} answers in {{ $value | humanizeDuration }}'}\n"
            }
        }
    }
    let groups = try RuleFile.groups(from: try ConfigNode.parse(yaml: text, file: "bench.yaml"), file: "bench.yaml")
    let evaluators = groups.map { GroupEvaluator(group: $0) }
    let reader = try writer.makeReader()
    var times: [Double] = []
    var firing = 0
    var samples = 0
    for _ in 0..<cycles {
        write(until: now + 15_000, from: now)
        now += 15_000
        var produced = 0
        times.append(
            milliseconds {
                for evaluator in evaluators {
                    let outcome = evaluator.evaluate(at: now, source: reader)
                    produced += outcome.samples.count
                    writer.append(outcome.samples)
                }
            })
        samples = produced
        firing = evaluators.reduce(0) { total, evaluator in
            total + evaluator.alertStates.values.reduce(0) { $0 + $1.active.filter { $0.state == .firing }.count }
        }
    }
    writer.close()
    printFigures(
        "rules",
        [
            ("rules", 1_000), ("series", 10_000), ("cycle_median_ms", median(times)),
            ("cycle_max_ms", times.max() ?? 0), ("firing_alerts", Double(firing)),
            ("samples_per_cycle", Double(samples)),
        ])
}

/// The Decision 766 scorecards: the shipped rules/scorecard-766.yaml (69 rules) over the simulated
/// statistics of the 34 provinces for this month and last (29 fields each, 1,972 series), a day
/// of them at one-minute steps in the store as the daemon would leave it; then `--cycles` more
/// minutes, each evaluating the group through the daemon's reader. And `ioc report` of the month
/// (its ranking and availability, here without probes) from that store.
func scorecard() throws {
    ProcessMemory.keepFreedMemoryForReuse()
    let cycles = Int(option("cycles", "20")) ?? 20
    let rules = option("rules", "rules/scorecard-766.yaml")
    let directory = NSTemporaryDirectory() + "/ioc-scorecard-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let start = CalendarPeriod(year: 2026, kind: .month(11)).start + 14 * 86_400_000
    let clock = Atomic<Int64>(start)
    let writer = try SampleWriter(
        path: directory + "/ioc.db", capacity: 1_000_000, clock: { clock.load(ordering: .relaxed) })
    let evaluator = GroupEvaluator(group: try RuleFile.load(rules)[0])
    let scorecard = SimulatedScorecard(seed: 1, provinces: ProvinceCatalogue.current)
    let reader = try writer.makeReader()
    var times: [Double] = []
    var produced = 0
    for minute in 0..<(1_440 + cycles) {
        let time = start + Int64(minute) * 60_000
        clock.store(time, ordering: .relaxed)
        var batch: [LabeledSample] = []
        for province in ProvinceCatalogue.current {
            for previous in [false, true] {
                for (field, value) in scorecard.counts(province, previous: previous, at: time) {
                    batch.append(
                        LabeledSample(
                            labels: Labels([
                                ("__name__", "dvc_\(field)"), ("job", "feeds"), ("province", province.name),
                                ("province_code", province.code), ("period", previous ? "previous" : "current"),
                            ]), sample: Sample(timestamp: time, value: Double(value))))
                }
            }
        }
        writer.append(batch)
        writer.flush()
        var samples: [LabeledSample] = []
        let elapsed = milliseconds { samples = evaluator.evaluate(at: time, source: reader).samples }
        if minute >= 1_440 { times.append(elapsed) }
        produced = samples.count
        writer.append(samples)
    }
    writer.flush()
    let reportReader = try writer.makeReader()
    var lines = 0
    let report = milliseconds {
        if let text = try? PeriodReport(
            period: CalendarPeriod(year: 2026, kind: .month(11)), source: reportReader, now: start + 86_400_000
        ).markdown() {
            lines = text.split(separator: "\n").count
        }
    }
    writer.close()
    printFigures(
        "scorecard",
        [
            ("rules", Double(evaluator.group.rules.count)), ("input_series", 1_972),
            ("evaluation_median_ms", median(times)), ("evaluation_max_ms", times.max() ?? 0),
            ("samples_per_evaluation", Double(produced)), ("report_month_ms", report),
            ("report_lines", Double(lines)),
        ])
}

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
        clock.store(step, ordering: .relaxed)
        writer.append(batch)
        if step % 900_000 == 0 { writer.flush() }
    }
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
    var cpu = -1.0
    let ioc = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/ioc"
    if FileManager.default.isExecutableFile(atPath: ioc)
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")
    {
        let socket = directory + "/tmux.sock"
        // posix_spawn and waitpid: Foundation's Process would wait for the tmux server too, which
        // inherits its monitoring descriptor.
        func tmux(_ arguments: [String]) {
            let argv = (["/usr/bin/tmux", "-S", socket] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var pid = pid_t()
            guard posix_spawn(&pid, "/usr/bin/tmux", nil, nil, argv, environ) == 0 else { return }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        tmux([
            "new-session", "-d", "-s", "bench", "-x", "200", "-y", "60",
            "\(ioc) dashboard --db \(path) --dashboards '\(repository)/dashboards/*.yaml' --dashboard overview",
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
    printFigures(
        "dashboard",
        [
            ("load_all_panels_ms", median(loads)), ("full_frame_200x60_ms", median(frames)),
            ("full_frame_bytes", Double(bytes)), ("unchanged_refresh_bytes", Double(unchanged)),
            ("idle_cpu_percent_at_1s_refresh", cpu),
        ])
}

/// Label matching with a regular expression that makes a backtracking engine take exponential
/// time: `{s=~".*.*.*.*.*.*.*.*b"}` over 1,000 values of 80 characters, half of which end in `b`.
/// IOC's matcher (RE2) against NSRegularExpression (ICU, what IOC used before), the same values in
/// the same run; milliseconds per 1,000 values, medians of `--runs`. The backtracking engine gets
/// `--baseline-values` values only (it takes seconds each), scaled to 1,000.
func regex() throws {
    let runs = Int(option("runs", "5")) ?? 5
    let baselineValues = Int(option("baseline-values", "2")) ?? 2
    let pattern = ".*.*.*.*.*.*.*.*b"
    let values = (0..<1000).map { String(repeating: "a", count: 79) + ($0 % 2 == 0 ? "c" : "b") }
    let matcher = try LabelMatcher("s", .matchesRegex, pattern)
    var linear: [Double] = []
    var matched = 0
    for _ in 0..<runs {
        let start = ContinuousClock.now
        matched = values.reduce(0) { $0 + (matcher.matches($1) ? 1 : 0) }
        linear.append((ContinuousClock.now - start).inSeconds * 1000)
    }
    guard matched == 500 else { throw BenchmarkError(description: "RE2 matched \(matched) of 1000, expected 500") }
    let backtracking = try NSRegularExpression(pattern: "^(?:\(pattern))$")
    var baseline: [Double] = []
    for _ in 0..<max(1, runs / 2) {
        let start = ContinuousClock.now
        for value in values.prefix(baselineValues) where value.hasSuffix("c") || value.hasSuffix("b") {
            _ = backtracking.firstMatch(in: value, range: NSRange(value.startIndex..., in: value))
        }
        baseline.append((ContinuousClock.now - start).inSeconds * 1000 / Double(baselineValues) * 1000)
    }
    printFigures(
        "regex",
        [("re2_ms_per_1000_values", median(linear)), ("backtracking_ms_per_1000_values", median(baseline))])
}

switch CommandLine.arguments.dropFirst().first ?? "all" {
case "regex": try regex()
case "ingest": try ingest()
case "history": try history()
case "crashload": try crashload()
case "promql": try promql()
case "rules": try rules()
case "scorecard": try scorecard()
case "dashboard": try dashboard()
case "chunks": chunks()
case "serve": try await serve()
case "client": await client()
case "probes": try await probes()
default: try all()
}
