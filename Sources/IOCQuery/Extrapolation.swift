import IOCCore

/// The arithmetic of `rate`, `increase`, `delta`, `deriv` and `predict_linear` over one window, as
/// Prometheus does it to the bit.
extension Evaluation {
    /// `rate`, `increase` and `delta`, extrapolated to the edges of the range as Prometheus does.
    static func extrapolatedRate(
        _ samples: UnsafeBufferPointer<Sample>, range: Int64, at time: Int64, counter: Bool, rate: Bool
    ) -> Double? {
        guard samples.count >= 2, let first = samples.first, let last = samples.last else { return nil }
        var result = last.value - first.value
        if counter {
            // A reset adds the value before it, in Prometheus' order; chosen without a branch, which a
            // gauge's ups and downs would mispredict half the time.
            var previous = first.value
            for sample in samples.dropFirst() {
                let withReset = result + previous
                result = sample.value < previous ? withReset : result
                previous = sample.value
            }
        }
        return extrapolate(result, samples, range: range, at: time, counter: counter, rate: rate)
    }

    /// `result` (the window's increase, resets added) extrapolated to the edges of the window
    /// `samples` (two at least), as a rate per second if `rate`.
    static func extrapolate(
        _ result: Double, _ samples: UnsafeBufferPointer<Sample>, range: Int64, at time: Int64, counter: Bool,
        rate: Bool
    ) -> Double {
        var extrapolation = Extrapolation(range: range, rate: rate)
        return extrapolation.apply(result, samples, at: time, counter: counter)
    }

    /// Prometheus' extrapolation of a window's increase to the window's edges, for the windows of
    /// one series at a query's steps. The factor the increase is multiplied by depends on the
    /// window's timing alone (how many samples it holds, where its first and last lie) unless a
    /// counter would reach zero inside the extrapolated span. Probes' and scrapes' samples are
    /// stamped at exact intervals, so step after step the windows of a range query have the same
    /// timing: the factor, at the end of a chain of three dependent divisions, is remembered for
    /// the last timing and the same bits are given without dividing again.
    struct Extrapolation {
        let range: Int64
        let rate: Bool
        let rangeSeconds: Double
        /// The last timing (samples; ms from the window's start to the first and from the first to
        /// the last, which with the range fix the rest; zero samples matches no window) and its
        /// factor.
        private var timing: (count: Int, toStart: Int64, sampled: Int64) = (0, 0, 0)
        private var factor = 0.0

        init(range: Int64, rate: Bool) {
            self.range = range
            self.rate = rate
            rangeSeconds = Double(range) / 1000
        }

        mutating func apply(_ result: Double, _ samples: UnsafeBufferPointer<Sample>, at time: Int64, counter: Bool)
            -> Double
        {
            let first = samples[samples.startIndex]
            let last = samples[samples.endIndex - 1]
            let toStart = first.timestamp - (time - range)
            let sampled = last.timestamp - first.timestamp
            // A counter does not go below zero: extrapolate no further back than where it would be
            // 0. That point lies far before the window's start for most counters (a value many
            // times the window's increase); the division is saved there when a product of
            // milliseconds shows it with room to spare for rounding: durationToStart is at most
            // the range, and durationToZero is then beyond twice it.
            if counter && result > 0 && first.value >= 0
                && !(first.value * Double(sampled) > 2 * result * Double(range))
            {
                let sampledInterval = Double(sampled) / 1000
                let durationToZero = sampledInterval * (first.value / result)
                if durationToZero < Double(toStart) / 1000 {
                    return result
                        * factor(samples.count, toStart: durationToZero, toEnd: time - last.timestamp, sampled: sampled)
                }
            }
            if timing != (samples.count, toStart, sampled) {
                timing = (samples.count, toStart, sampled)
                factor = factor(
                    samples.count, toStart: Double(toStart) / 1000, toEnd: time - last.timestamp, sampled: sampled)
            }
            return result * factor
        }

        private func factor(_ count: Int, toStart durationToStart: Double, toEnd: Int64, sampled: Int64) -> Double {
            let durationToEnd = Double(toEnd) / 1000
            let sampledInterval = Double(sampled) / 1000
            let averageInterval = sampledInterval / Double(count - 1)
            let threshold = averageInterval * 1.1
            var extrapolateTo = sampledInterval
            extrapolateTo += durationToStart < threshold ? durationToStart : averageInterval / 2
            extrapolateTo += durationToEnd < threshold ? durationToEnd : averageInterval / 2
            var factor = extrapolateTo / sampledInterval
            if rate { factor /= rangeSeconds }
            return factor
        }
    }

    /// Least squares over (seconds since `interceptTime`, value), each sum compensated as Prometheus
    /// 2.42 sums them (plain sums differed from its `deriv` in the last digits); a constant series
    /// has slope 0 and its value, or NaN for both when the value is infinite.
    static func linearRegression(_ samples: UnsafeBufferPointer<Sample>, interceptTime: Int64) -> (
        slope: Double, intercept: Double
    ) {
        var n = 0.0
        var (sumX, compensationX) = (0.0, 0.0)
        var (sumY, compensationY) = (0.0, 0.0)
        var (sumXY, compensationXY) = (0.0, 0.0)
        var (sumX2, compensationX2) = (0.0, 0.0)
        let firstValue = samples[samples.startIndex].value
        let constantY = samples.allSatisfy { $0.value == firstValue }
        if constantY { return firstValue.isInfinite ? (.nan, .nan) : (0, firstValue) }
        for sample in samples {
            let x = Double(sample.timestamp - interceptTime) / 1000
            n += 1
            compensated(&sumX, &compensationX, adding: x)
            compensated(&sumY, &compensationY, adding: sample.value)
            compensated(&sumXY, &compensationXY, adding: x * sample.value)
            compensated(&sumX2, &compensationX2, adding: x * x)
        }
        sumX += compensationX
        sumY += compensationY
        sumXY += compensationXY
        sumX2 += compensationX2
        let covariance = sumXY - sumX * sumY / n
        let varianceX = sumX2 - sumX * sumX / n
        let slope = covariance / varianceX
        let intercept = sumY / n - slope * sumX / n
        return (slope, intercept)
    }
}
