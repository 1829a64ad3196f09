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

/// The highest resident set since the process started or since `resetPeakResident()`: VmHWM.
func peakResidentMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return 0 }
    return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
}

/// Starts `peakResidentMiB()` again from the resident set now (writing 5 to clear_refs).
func resetPeakResident() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
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

/// The processor time the calling thread has used, ms: beside the wall time, it tells an evaluation
/// that waited or was descheduled from one that ran slower (on this shared machine the two were
/// equal while the wall time varied by half from one run to the next).
func threadMilliseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) / 1e6
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
