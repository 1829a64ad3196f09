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
