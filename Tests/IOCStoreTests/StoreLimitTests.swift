import Foundation
import IOCCore
import IOCStore
import Synchronization
import TestSupport
import Testing

/// What the store refuses, whatever a producer hands it: times it cannot hold, and series beyond
/// its limit (a feed that makes a new series at every scrape).
@Suite struct StoreLimitTests {
    func sample(_ name: String, _ time: Int64, _ value: Double = 1) -> LabeledSample {
        LabeledSample(labels: Labels(["__name__": name, "job": "feed"]), sample: Sample(timestamp: time, value: value))
    }

    @Test func timesOutsideWhatTheStoreHoldsAreRefusedAndCounted() throws {
        let directory = try TemporaryDirectory()
        let writer = try SampleWriter(path: directory.file("ioc.db"))
        writer.append([sample("a", .max), sample("b", .min), sample("c", 1_800_000_000_000)])
        writer.close()
        #expect(writer.statistics.outOfBounds == 2)
        #expect(writer.statistics.written == 1)
        // And a restart reads the file back.
        let again = try SampleWriter(path: directory.file("ioc.db"))
        again.close()
        #expect(again.quarantined.isEmpty)
    }

    @Test func newSeriesBeyondTheLimitAreRefusedCountedAndReported() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let reports = Mutex<[(Labels, Int)]>([])
        let writer = try SampleWriter(
            path: path, maxSeries: 3,
            onSeriesLimit: { labels, count in reports.withLock { $0.append((labels, count)) } })
        writer.append((0..<5).map { sample("churn_\($0)", 1_800_000_000_000) })
        writer.flush()
        // Series that exist keep their samples.
        writer.append((0..<5).map { sample("churn_\($0)", 1_800_000_015_000) })
        writer.close()
        #expect(writer.statistics.series == 3)
        #expect(writer.statistics.overSeriesLimit == 4)
        #expect(writer.statistics.written == 6)
        let reported = reports.withLock { $0 }
        #expect(reported.count == 1 && reported.first?.1 == 2, "\(reported)")
        #expect(reported.first?.0.metric?.hasPrefix("churn_") == true)

        // The limit counts what the file holds, across restarts.
        let reopened = try SampleWriter(path: path, maxSeries: 3)
        reopened.append([sample("another", 1_800_000_030_000)])
        reopened.close()
        #expect(reopened.statistics.overSeriesLimit == 1)
        #expect(try StoreReader(path: path).series(matching: []).count == 3)
    }

    /// A selection with a limit stops once it has loaded more than the limit, a few series at a time,
    /// and otherwise gives what the selection without one gives.
    @Test func aSelectionStopsAtItsLimit() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        for series in 0..<50 {
            writer.append(
                (0..<100).map { step in
                    LabeledSample(
                        labels: Labels(["__name__": "m", "i": "\(series)"]),
                        sample: Sample(timestamp: 1_800_000_000_000 + Int64(step) * 15_000, value: Double(step)))
                })
        }
        writer.close()
        let reader = try StoreReader(path: path)
        let matchers = [try LabelMatcher(Labels.metricName, .equal, "m")]
        let all = try reader.select(matchers, from: 0, through: .max)
        #expect(all.count == 50 && all.allSatisfy { $0.samples.count == 100 })
        #expect(try reader.select(matchers, from: .min, through: .max, limit: 5_000) == all)
        let error = #expect(throws: SampleLimitExceeded.self) {
            try reader.select(matchers, from: .min, through: .max, limit: 1_000)
        }
        // Over all time the first batch is one series, and batches grow only while they fit: loading
        // stopped with the batch that passed the limit (11 series), not after all 50.
        #expect(error?.loaded == 1_100)
        // Series that are not kept load nothing and do not count against the limit: the six kept
        // (600 samples) fit in a limit the fifty would pass.
        let kept = try reader.select(matchers, from: .min, through: .max, limit: 1_000) {
            $0["i"]?.hasSuffix("7") == true || $0["i"] == "0"
        }
        #expect(kept == all.filter { $0.labels["i"]?.hasSuffix("7") == true || $0.labels["i"] == "0" })
        #expect(kept.count == 6)
    }
}
