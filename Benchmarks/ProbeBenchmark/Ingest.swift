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

    let one = try oneSeries(data)
    let figures = try readFigures(
        [("memory", try writer.makeReader()), ("file", try StoreReader(path: path))], one: one, end: end, runs: runs)
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

/// Reads through each reader (`--readers`): all series' last 5 minutes, the lookup of all series, one
/// series' day and its hourly rollups; medians of `runs`.
func readFigures(_ readers: [(String, StoreReader)], one: [LabelMatcher], end: Int64, runs: Int) throws
    -> [(String, Double)]
{
    let all = [try LabelMatcher("job", .equal, "bench")]
    var figures: [(String, Double)] = []
    let selected = option("readers", "memory,file").split(separator: ",")
    for (name, reader) in readers where selected.contains(Substring(name)) {
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
    return figures
}
