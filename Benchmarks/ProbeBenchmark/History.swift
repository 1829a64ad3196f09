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
