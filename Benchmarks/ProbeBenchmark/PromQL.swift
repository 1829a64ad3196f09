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

/// The query engine over the store, through the daemon's reader: 10,000 counters (34 provinces)
/// for 2 hours and 300 latency gauges for 25 hours, at 15 s; the three queries, medians of
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
    fillPromQLStore(writer, from: start, to: end) { clock.store($0, ordering: .relaxed) }
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

/// 300 latency gauges for the whole span and 10,000 counters for its last 2 hours, at 15 s, an hour
/// per commit; `advance` moves the writer's clock past each hour.
func fillPromQLStore(_ writer: SampleWriter, from start: Int64, to end: Int64, advance: (Int64) -> Void) {
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
        advance(hour + 3_600_000)
        writer.append(batch)
        writer.flush()
    }
}
