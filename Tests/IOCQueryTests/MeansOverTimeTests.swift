import IOCCore
import Testing

@testable import IOCQuery

/// `avg_over_time`, `stdvar_over_time` and `stddev_over_time` work out four windows at once (four
/// steps of a range query, four series of an instant one); each must keep the bits of the function
/// worked out one run at a time (`meanOverTime`, `varianceOverTime`: Prometheus 2.42's running
/// mean and Welford's sums): runs of different lengths side by side, infinities of either sign,
/// NaN, values far apart, and an empty run.
@Suite struct MeansOverTimeTests {
    /// The function, as the engine works it out four at a time and one run alone.
    enum Function: CaseIterable {
        case mean, variance, deviation

        func series(_ series: ArraySlice<RangeSeries>) -> [Double?] {
            switch self {
            case .mean: Evaluation.meansOverTime(series)
            case .variance: Evaluation.variancesOverTime(series, root: false)
            case .deviation: Evaluation.variancesOverTime(series, root: true)
            }
        }

        func windows(_ samples: UnsafeBufferPointer<Sample>, steps: [Int64], range: Int64) -> [Double?] {
            switch self {
            case .mean: Evaluation.meansOverTime(samples, steps: steps, offset: 0, range: range)
            case .variance: Evaluation.variancesOverTime(samples, steps: steps, offset: 0, range: range, root: false)
            case .deviation: Evaluation.variancesOverTime(samples, steps: steps, offset: 0, range: range, root: true)
            }
        }

        func alone(_ samples: [Sample]) -> Double {
            let values = samples.lazy.map(\.value)
            switch self {
            case .mean: return Evaluation.meanOverTime(values)
            case .variance: return Evaluation.varianceOverTime(values)
            case .deviation: return Evaluation.varianceOverTime(values).squareRoot()
            }
        }
    }

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

    @Test(arguments: Function.allCases) func fourSeriesAtOnceKeepEachSeriesValueToTheBit(_ function: Function) {
        let runs = Self.runs()
        let series = runs.enumerated().map { index, samples in
            RangeSeries(labels: Labels([("__name__", "m"), ("i", "\(index)")]), samples: samples[...])
        }
        for count in [1, 3, 4, 5, 8, 23] {
            let values = function.series(series[..<count])
            let expected = runs[..<count].map(function.alone)
            #expect(values.count == count)
            for (index, (value, reference)) in zip(values, expected).enumerated() {
                #expect(
                    Self.same(value, reference),
                    "series \(index) of \(count): \(String(describing: value)) against \(reference)")
            }
        }
        // A slice that does not start at 0, as the instant path hands them out.
        let tail = function.series(series[7..<16])
        let expected = runs[7..<16].map(function.alone)
        #expect(zip(tail, expected).allSatisfy { Self.same($0, $1) })
    }

    @Test(arguments: Function.allCases) func fourWindowsAtOnceKeepEachWindowsValueToTheBit(_ function: Function) {
        let samples = Self.runs().joined().enumerated().map { Sample(timestamp: Int64($0) * 15_000, value: $1.value) }
        let steps = stride(from: Int64(60_000), through: Int64(samples.count) * 15_000, by: 37_000).map { $0 }
        for range: Int64 in [30_000, 300_000, 1_000_000] {
            let values = samples.withUnsafeBufferPointer { function.windows($0, steps: steps, range: range) }
            for (position, time) in steps.enumerated() {
                let window = samples.filter { $0.timestamp > time - range && $0.timestamp <= time }
                let reference = window.isEmpty ? nil : function.alone(window)
                #expect(Self.same(values[position], reference), "range \(range) at \(time)")
            }
        }
    }
}
