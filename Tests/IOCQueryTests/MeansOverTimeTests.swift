import IOCCore
import Testing

@testable import IOCQuery

/// `avg_over_time` works out four means at once (four windows of a range query, four series of an
/// instant one); each must keep the bits of `meanOverTime`, Prometheus 2.42's running mean, one
/// run at a time: runs of different lengths side by side, infinities of either sign, NaN, values
/// far apart, and an empty run.
@Suite struct MeansOverTimeTests {
    static func runs() -> [[Sample]] {
        var random = SplitMix64(seed: 20)
        let specials: [Double] = [.infinity, -.infinity, .nan, 1e308, -1e308, .leastNonzeroMagnitude, 0, -0.0]
        return (0..<23).map { member in
            let length = member == 5 ? 0 : Int(random.next() % 40) + 1
            return (0..<length).map { index in
                let pick = random.next() % 10
                let value =
                    pick == 0 && member % 3 == 0
                    ? specials[Int(random.next() % UInt64(specials.count))]
                    : Double(Int64(random.next() % 2_000_001) - 1_000_000) / 7
                return Sample(timestamp: Int64(index) * 15_000, value: value)
            }
        }
    }

    static func same(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)
    }

    @Test func fourSeriesAtOnceKeepEachSeriesMeanToTheBit() {
        let runs = Self.runs()
        let series = runs.enumerated().map { index, samples in
            RangeSeries(labels: Labels([("__name__", "m"), ("i", "\(index)")]), samples: samples[...])
        }
        for count in [1, 3, 4, 5, 8, 23] {
            let means = Evaluation.meansOverTime(series[..<count])
            let expected = runs[..<count].map { Evaluation.meanOverTime($0.lazy.map(\.value)) }
            #expect(means.count == count)
            for (index, (mean, reference)) in zip(means, expected).enumerated() {
                #expect(
                    Self.same(mean, reference),
                    "series \(index) of \(count): \(String(describing: mean)) against \(reference)")
            }
        }
        // A slice that does not start at 0, as the instant path hands them out.
        let tail = Evaluation.meansOverTime(series[7..<16])
        let expected = runs[7..<16].map { Evaluation.meanOverTime($0.lazy.map(\.value)) }
        #expect(zip(tail, expected).allSatisfy { Self.same($0, $1) })
    }

    @Test func fourWindowsAtOnceKeepEachWindowsMeanToTheBit() {
        let samples = Self.runs().joined().enumerated().map { Sample(timestamp: Int64($0) * 15_000, value: $1.value) }
        let steps = stride(from: Int64(60_000), through: Int64(samples.count) * 15_000, by: 37_000).map { $0 }
        for range: Int64 in [30_000, 300_000, 1_000_000] {
            let means = samples.withUnsafeBufferPointer {
                Evaluation.meansOverTime($0, steps: steps, offset: 0, range: range)
            }
            for (position, time) in steps.enumerated() {
                let window = samples.filter { $0.timestamp > time - range && $0.timestamp <= time }
                let reference = window.isEmpty ? nil : Evaluation.meanOverTime(window.lazy.map(\.value))
                #expect(Self.same(means[position], reference), "range \(range) at \(time)")
            }
        }
    }
}
