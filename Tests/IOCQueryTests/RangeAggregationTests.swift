import IOCCore
import TestSupport
import Testing

@testable import IOCQuery

/// Aggregations over a range of many series fold their groups on every core: each group's sums
/// are the same bits as the general path's, step by step, whatever thread folded it.
@Suite struct RangeAggregationTests {
    @Test(arguments: [
        "sum by (a) (m)", "sum(m)", "count by (b) (m)", "avg by (a) (m)", "max by (b) (m)", "min(m)",
        "group by (a) (m)", "sum by (a) (rate(m[5m]))", "avg without (b) (m * 1e300)",
    ])
    func manySeriesFoldAsTheGeneralPath(expression: String) async throws {
        try await onTestWorkThread {
            var random = SplitMix64(seed: 17)
            let source = MemorySeriesSource()
            // 1,200 series over 61 steps: more than a single thread's share.
            for index in 0..<1_200 {
                var samples: [Sample] = []
                var value = 0.0
                for step in 0..<61 where random.next() % 7 != 0 {
                    // Magnitudes far apart, and some near the largest double, so that a sum in another
                    // order gives other bits (or overflows where the other does not).
                    value += Double(random.next() % 1_000) * (random.next() % 3 == 0 ? 1e-9 : 1e6) + 0.1
                    let extreme = random.next() % 40 == 0 ? (random.next() % 2 == 0 ? 1e308 : -1e308) : nil
                    let sample = random.next() % 50 == 0 ? .nan : extreme ?? value
                    samples.append(Sample(timestamp: Int64(step) * 30_000, value: sample))
                }
                source.add(
                    Labels(["__name__": "m", "a": "\(index % 13)", "b": "\(index % 7)", "i": "\(index)"]), samples)
            }
            try PromQLTestSuite.expectBothRangePathsAgree(expression, over: source)
        }
    }
}
