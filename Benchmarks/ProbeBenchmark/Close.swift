import Foundation
import IOCCore
import IOCStore
import Synchronization

/// An hour's close as 5,000 probe targets leave it: `series` series (70,000: fourteen a target)
/// with a sample every 5 s for a whole hour, then each one's first sample of the next hour, and the
/// commit after the grace period, which closes every series' hour into its chunk and saves the new
/// hour's heads. Prints how long that commit took, and how many samples the daemon's probes would
/// have queued meanwhile (the writer's queue holds 100,000 by default), and the time of the 30
/// commits after it, which give the emptied log's pages back; and the resident set before the close,
/// at its peak during it (VmHWM, reset just before) and after. Run it under jemalloc as iocd is
/// (`LD_PRELOAD`, see BENCHMARKS.md) for memory figures that are iocd's.
func close() throws {
    let seriesCount = Int(option("series", "70000")) ?? 70_000
    let interval: Int64 = 5_000
    let directory = NSTemporaryDirectory() + "/ioc-close-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let start: Int64 = 1_795_046_400_000  // a UTC midnight
    let clock = Atomic<Int64>(start)
    let writer = try SampleWriter(
        path: directory + "/ioc.db", capacity: seriesCount * 4, flushInterval: .seconds(3600),
        clock: { clock.load(ordering: .relaxed) })
    let names = ["probe_duration_seconds", "probe_http_status_code", "probe_success", "probe_connect_seconds"]
    let labels = (0..<seriesCount).map { index in
        Labels([
            ("__name__", names[index % names.count]), ("job", "bench"), ("phase", "\(index % 14)"),
            ("instance", "https://dvc.province\(index / 14 % 34).example.vn/service/\(index / 14)"),
        ])
    }
    var random = SplitMix64(seed: 766)
    func batch(at time: Int64) -> [LabeledSample] {
        labels.indices.map { index in
            let value: Double =
                switch index % names.count {
                case 0, 3: Double(20_000 + random.next() % 380_000) / 1e6
                case 1: 200
                default: 1
                }
            return LabeledSample(
                labels: labels[index], sample: Sample(timestamp: time + Int64(index % 1000), value: value))
        }
    }
    let hour: Int64 = 3_600_000
    let times: [Int64] = (0...Int(hour / interval)).map { start + Int64($0) * interval }
    for time in times {
        clock.store(time, ordering: .relaxed)
        writer.append(batch(at: time))
        writer.flush()
    }
    let closing = start + hour + 120_000
    clock.store(closing, ordering: .relaxed)
    let next = batch(at: closing)
    // Memory: what the hour holds before the close, and the most the close takes on top of it.
    let residentBefore = residentMiB()
    resetPeakResident()
    writer.append(next)
    let began = ContinuousClock.now
    writer.flush()
    let seconds = (ContinuousClock.now - began).inSeconds
    let residentPeak = peakResidentMiB()
    let residentClosed = residentMiB()
    let chunks = writer.statistics.chunks
    // The commits after it, 5 s of samples each, give the emptied log's pages back a slice at a time.
    var after: [Double] = []
    for step in 1...30 {
        let time = closing + Int64(step) * interval
        clock.store(time, ordering: .relaxed)
        writer.append(batch(at: time))
        after.append(milliseconds { writer.flush() })
    }
    writer.close()
    printFigures(
        "close",
        [
            ("series", Double(seriesCount)), ("chunks_closed", Double(chunks)), ("close_seconds", seconds),
            ("samples_arriving_meanwhile", seconds * Double(seriesCount) * 1000 / Double(interval)),
            ("next_commits_median_ms", median(after)), ("next_commits_max_ms", after.max() ?? 0),
            ("rss_before_close_mib", residentBefore), ("rss_peak_in_close_mib", residentPeak),
            ("rss_after_close_mib", residentClosed), ("rss_after_next_commits_mib", residentMiB()),
        ])
}
