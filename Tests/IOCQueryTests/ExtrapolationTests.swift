import IOCCore
import TestSupport
import Testing

@testable import IOCQuery

/// `rate` and `increase` skip the division that finds where a counter would reach zero when a
/// product shows that point is far before the window: the answers stay, bit for bit, those of
/// Prometheus' formula worked out in full.
@Suite struct ExtrapolationTests {
    /// Prometheus' extrapolation as it is written, every division made.
    static func reference(
        _ result: Double, _ samples: [Sample], range: Int64, at time: Int64, counter: Bool, rate: Bool
    ) -> Double {
        let first = samples[0]
        let last = samples[samples.count - 1]
        var durationToStart = Double(first.timestamp - (time - range)) / 1000
        let durationToEnd = Double(time - last.timestamp) / 1000
        let sampledInterval = Double(last.timestamp - first.timestamp) / 1000
        let averageInterval = sampledInterval / Double(samples.count - 1)
        if counter && result > 0 && first.value >= 0 {
            let durationToZero = sampledInterval * (first.value / result)
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        let threshold = averageInterval * 1.1
        var extrapolateTo = sampledInterval
        extrapolateTo += durationToStart < threshold ? durationToStart : averageInterval / 2
        extrapolateTo += durationToEnd < threshold ? durationToEnd : averageInterval / 2
        var factor = extrapolateTo / sampledInterval
        if rate { factor /= Double(range) / 1000 }
        return result * factor
    }

    @Test func theShortcutGivesTheFormulasBits() async throws {
        try await onTestWorkThread {
            var random = SplitMix64(seed: 3)
            let scales: [Double] = [0, 1e-300, 1e-3, 1, 1e3, 1e6, 1e15, 1e300, 1.7e308, .infinity]
            var shortcuts = 0
            for _ in 0..<200_000 {
                let range = Int64(1 + random.next() % 7_200_000)
                let time = Int64(random.next() % 1_000_000_000)
                let count = 2 + Int(random.next() % 20)
                // Times inside (time - range, time], in order.
                var times = (0..<count).map { _ in time - Int64(random.next() % UInt64(range)) }
                times.sort()
                guard Set(times).count == count else { continue }
                let firstValue = scales[Int(random.next() % UInt64(scales.count))] * Double(random.next() % 1000) / 999
                let result = scales[Int(random.next() % UInt64(scales.count))] * Double(random.next() % 1000) / 999
                var samples = times.map { Sample(timestamp: $0, value: 0) }
                samples[0] = Sample(timestamp: times[0], value: random.next() % 50 == 0 ? -firstValue : firstValue)
                let rate = random.next() % 2 == 0
                let counter = random.next() % 8 != 0
                let expected = ExtrapolationTests.reference(
                    result, samples, range: range, at: time, counter: counter, rate: rate)
                let got = samples.withUnsafeBufferPointer {
                    Evaluation.extrapolate(result, $0, range: range, at: time, counter: counter, rate: rate)
                }
                #expect(got.bitPattern == expected.bitPattern || (got.isNaN && expected.isNaN))
                let sampledInterval = Double(times[count - 1] - times[0]) / 1000
                if counter && result > 0 && samples[0].value * sampledInterval > 2 * result * Double(range) / 1000 {
                    shortcuts += 1
                }
            }
            // Most draws take the shortcut, and many do not.
            #expect(shortcuts > 20_000 && shortcuts < 180_000)
        }
    }
}

extension ExtrapolationTests {
    /// One `Extrapolation` across a series' windows remembers the last timing's factor: windows whose
    /// timing repeats or changes (the last sample a millisecond earlier, the first gone, one fewer
    /// between the same ends, a new window), with counters near zero among them, give the formula's
    /// bits in any order.
    @Test func aRememberedFactorGivesTheFormulasBits() async throws {
        try await onTestWorkThread {
            var random = SplitMix64(seed: 11)
            var remembered = 0
            for _ in 0..<2_000 {
                let range = Int64(1 + random.next() % 600_000)
                let rate = random.next() % 2 == 0
                var extrapolation = Evaluation.Extrapolation(range: range, rate: rate)
                var times: [Int64] = []
                var time: Int64 = 0
                for _ in 0..<50 {
                    let change = random.next() % 7
                    if change < 3 && !times.isEmpty {
                        remembered += 1
                    } else if change == 3 && !times.isEmpty {
                        times[times.count - 1] = Swift.max(times[times.count - 1] - 1, time - range + 1)
                    } else if change == 4 && times.count > 2 {
                        times.removeFirst()
                    } else if change == 5 && times.count > 2 {
                        times.remove(at: 1)
                    } else {
                        time = Int64(random.next() % 1_000_000_000)
                        let count = 2 + Int(random.next() % 12)
                        times = (0..<count).map { _ in time - Int64(random.next() % UInt64(range)) }.sorted()
                    }
                    guard Set(times).count == times.count, times.count >= 2 else {
                        times = []
                        continue
                    }
                    let result = Double(1 + random.next() % 1000)
                    var firstValue = Double(random.next() % 1000) * (random.next() % 4 == 0 ? 1e-3 : 1e3)
                    if random.next() % 2 == 0 {
                        // A counter that reaches zero between a third of the way to the window's start
                        // and two and a half times as far: where the shortcut's margin matters.
                        let toStart = Double(times[0] - (time - range))
                        let sampled = Double(times[times.count - 1] - times[0])
                        firstValue = result * toStart / sampled * (0.3 + Double(random.next() % 220) / 100)
                    }
                    var samples = times.map { Sample(timestamp: $0, value: 0) }
                    samples[0] = Sample(timestamp: times[0], value: firstValue)
                    let expected = ExtrapolationTests.reference(
                        result, samples, range: range, at: time, counter: true, rate: rate)
                    let got = samples.withUnsafeBufferPointer {
                        extrapolation.apply(result, $0, at: time, counter: true)
                    }
                    #expect(got.bitPattern == expected.bitPattern || (got.isNaN && expected.isNaN))
                }
            }
            #expect(remembered > 20_000)
        }
    }
}
