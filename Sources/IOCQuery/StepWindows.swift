import IOCCore

/// One series' values at every step of a range query, from windows that slide forward with the
/// steps: no search and no allocation per step.
extension Evaluation {
    /// A series' latest sample in each step's lookback window, staleness markers hiding it.
    /// With `timestamps`, the sample's time in seconds (`timestamp`) instead of its value.
    static func instantValues(
        _ samples: [Sample], steps: [Int64], offset: Int64, lookback: Int64, timestamps: Bool = false
    ) -> [Double?] {
        var values = [Double?](repeating: nil, count: steps.count)
        samples.withUnsafeBufferPointer { samples in
            var next = 0
            for (position, time) in steps.enumerated() {
                let reference = time - offset
                while next < samples.count && samples[next].timestamp <= reference { next += 1 }
                guard next > 0 else { continue }
                let sample = samples[next - 1]
                if sample.timestamp > reference - lookback && !sample.isStale {
                    values[position] = timestamps ? Double(sample.timestamp) / 1000 : sample.value
                }
            }
        }
        return values
    }

    /// A range function of a series' window (t − offset − range, t − offset] at each step.
    static func rangeValues(
        _ function: RangeFunction, _ samples: [Sample], steps: [Int64], offset: Int64, range: Int64,
        parameter: Double, trend: Double = .nan
    ) -> [Double?] {
        if function == .quantileOverTime {
            return samples.withUnsafeBufferPointer {
                quantiles($0, steps: steps, offset: offset, range: range, phi: parameter)
            }
        }
        if function == .minOverTime || function == .maxOverTime {
            return samples.withUnsafeBufferPointer {
                extremes($0, steps: steps, offset: offset, range: range, least: function == .minOverTime)
            }
        }
        if function == .avgOverTime {
            return samples.withUnsafeBufferPointer { meansOverTime($0, steps: steps, offset: offset, range: range) }
        }
        if function == .stddevOverTime || function == .stdvarOverTime {
            return samples.withUnsafeBufferPointer {
                variancesOverTime($0, steps: steps, offset: offset, range: range, root: function == .stddevOverTime)
            }
        }
        var values = [Double?](repeating: nil, count: steps.count)
        // For `rate` and `increase`, the counter resets inside the window (a sample below the one
        // before it, both in the window), kept in time order as the window slides: each window's
        // increase adds the value before each of its resets, in the order Prometheus adds them,
        // without going through the window's samples again (a long window over a counter that was
        // reset once would go through hundreds at every step).
        let counter = function == .rate || function == .increase
        var resets: [Int] = []
        var extrapolation = Extrapolation(range: range, rate: function == .rate)
        samples.withUnsafeBufferPointer { samples in
            var low = 0
            var high = 0
            var firstReset = 0
            for (position, time) in steps.enumerated() {
                let reference = time - offset
                while high < samples.count && samples[high].timestamp <= reference {
                    if counter && high > low && samples[high].value < samples[high - 1].value { resets.append(high) }
                    high += 1
                }
                while low < high && samples[low].timestamp <= reference - range { low += 1 }
                // A reset counts while the sample before it is in the window.
                while firstReset < resets.count && resets[firstReset] <= low { firstReset += 1 }
                guard low < high else { continue }
                let window = UnsafeBufferPointer(rebasing: samples[low..<high])
                if counter {
                    guard high - low >= 2 else { continue }
                    var increase = samples[high - 1].value - samples[low].value
                    for reset in resets[firstReset...] { increase += samples[reset - 1].value }
                    values[position] = extrapolation.apply(increase, window, at: reference, counter: true)
                } else {
                    values[position] = overRange(
                        function, window, range: range, at: reference, evaluated: time, parameter: parameter,
                        trend: trend)
                }
            }
        }
        return values
    }

    /// `avg_over_time` at each step, four windows at once (`fourMeans`): a range
    /// `avg_over_time(x{service="dvc"}[1h])` took 93-102 ms one window at a time, against 40-47 for
    /// the sum over the count that Prometheus 2.42 does not do.
    static func meansOverTime(_ samples: UnsafeBufferPointer<Sample>, steps: [Int64], offset: Int64, range: Int64)
        -> [Double?]
    {
        fourWindowsAtOnce(samples, steps: steps, offset: offset, range: range, four: fourMeans) {
            meanOverTime($0.lazy.map(\.value))
        }
    }

    /// `stdvar_over_time` (or, with `root`, `stddev_over_time`) at each step, four windows at once
    /// (`fourVariances`): each of Welford's steps waits on the division before it, as the mean's do.
    /// A range `stddev_over_time(x{service="dvc"}[30m])` took 86-99 ms one window at a time, 68-74
    /// four at once.
    static func variancesOverTime(
        _ samples: UnsafeBufferPointer<Sample>, steps: [Int64], offset: Int64, range: Int64, root: Bool
    ) -> [Double?] {
        fourWindowsAtOnce(samples, steps: steps, offset: offset, range: range) {
            fourVariances($0, root: root)
        } one: {
            varianceOverTime($0, root: root)
        }
    }

    /// Four runs of samples: four steps' windows, or four series' windows.
    typealias FourLanes = (
        UnsafeBufferPointer<Sample>, UnsafeBufferPointer<Sample>, UnsafeBufferPointer<Sample>,
        UnsafeBufferPointer<Sample>
    )

    /// A function of each step's window (t − offset − range, t − offset], worked out by `four` four
    /// windows at a time and by `one` for the last few; nil where a window is empty.
    @inline(__always)
    private static func fourWindowsAtOnce(
        _ samples: UnsafeBufferPointer<Sample>, steps: [Int64], offset: Int64, range: Int64,
        four: (FourLanes) -> (Double, Double, Double, Double), one: (UnsafeBufferPointer<Sample>) -> Double
    ) -> [Double?] {
        var windows: [(position: Int, low: Int, high: Int)] = []
        windows.reserveCapacity(steps.count)
        var low = 0
        var high = 0
        for (position, time) in steps.enumerated() {
            let reference = time - offset
            while high < samples.count && samples[high].timestamp <= reference { high += 1 }
            while low < high && samples[low].timestamp <= reference - range { low += 1 }
            if low < high { windows.append((position, low, high)) }
        }
        func lane(_ window: (position: Int, low: Int, high: Int)) -> UnsafeBufferPointer<Sample> {
            UnsafeBufferPointer(rebasing: samples[window.low..<window.high])
        }
        var values = [Double?](repeating: nil, count: steps.count)
        var next = 0
        while next + 4 <= windows.count {
            let results = four(
                (lane(windows[next]), lane(windows[next + 1]), lane(windows[next + 2]), lane(windows[next + 3])))
            values[windows[next].position] = results.0
            values[windows[next + 1].position] = results.1
            values[windows[next + 2].position] = results.2
            values[windows[next + 3].position] = results.3
            next += 4
        }
        for window in windows[next...] { values[window.position] = one(lane(window)) }
        return values
    }

    /// `avg_over_time` of each series' window (an instant query's), four series at once as
    /// `fourMeans` works them out: `avg_over_time(x[1h])` over 5,000 series spent a sixth of its
    /// time waiting on one series' divisions after another.
    static func meansOverTime(_ series: ArraySlice<RangeSeries>) -> [Double?] {
        fourSeriesAtOnce(series, four: fourMeans) { meanOverTime($0.lazy.map(\.value)) }
    }

    /// `stdvar_over_time` (or, with `root`, `stddev_over_time`) of each series' window, four series
    /// at once as `fourVariances` works them out.
    static func variancesOverTime(_ series: ArraySlice<RangeSeries>, root: Bool) -> [Double?] {
        fourSeriesAtOnce(series) {
            fourVariances($0, root: root)
        } one: {
            varianceOverTime($0, root: root)
        }
    }

    /// A function of each series' samples, worked out by `four` four series at a time and by `one`
    /// for the last few.
    @inline(__always)
    private static func fourSeriesAtOnce(
        _ series: ArraySlice<RangeSeries>, four: (FourLanes) -> (Double, Double, Double, Double),
        one: (UnsafeBufferPointer<Sample>) -> Double
    ) -> [Double?] {
        var values: [Double?] = []
        values.reserveCapacity(series.count)
        var next = series.startIndex
        while next + 4 <= series.endIndex {
            let results = series[next].samples.withUnsafeBufferPointer { a in
                series[next + 1].samples.withUnsafeBufferPointer { b in
                    series[next + 2].samples.withUnsafeBufferPointer { c in
                        series[next + 3].samples.withUnsafeBufferPointer { d in four((a, b, c, d)) }
                    }
                }
            }
            values.append(results.0)
            values.append(results.1)
            values.append(results.2)
            values.append(results.3)
            next += 4
        }
        for member in series[next...] { values.append(member.samples.withUnsafeBufferPointer(one)) }
        return values
    }

    /// The means of four runs of samples at once, each worked out as `meanOverTime` does it (a
    /// running mean, Prometheus 2.42's bits; NaN for an empty run): each mean waits on two
    /// divisions a sample, and four independent chains keep the divider busy where one left it
    /// idle.
    static func fourMeans(_ lanes: FourLanes) -> (Double, Double, Double, Double) {
        var mean = (0.0, 0.0, 0.0, 0.0)
        var compensation = (0.0, 0.0, 0.0, 0.0)
        let longest = max(lanes.0.count, lanes.1.count, lanes.2.count, lanes.3.count)
        @inline(__always)
        func add(
            _ lane: UnsafeBufferPointer<Sample>, _ index: Int, _ count: Double, _ mean: inout Double,
            _ compensation: inout Double
        ) {
            guard index < lane.count else { return }
            let value = lane[index].value
            if RunningMean.keeps(infinite: mean, adding: value) { return }
            compensated(&mean, &compensation, adding: value / count - mean / count)
        }
        for index in 0..<longest {
            let count = Double(index + 1)
            add(lanes.0, index, count, &mean.0, &compensation.0)
            add(lanes.1, index, count, &mean.1, &compensation.1)
            add(lanes.2, index, count, &mean.2, &compensation.2)
            add(lanes.3, index, count, &mean.3, &compensation.3)
        }
        func result(_ lane: UnsafeBufferPointer<Sample>, _ mean: Double, _ compensation: Double) -> Double {
            lane.isEmpty ? .nan : mean.isInfinite ? mean : mean + compensation
        }
        return (
            result(lanes.0, mean.0, compensation.0), result(lanes.1, mean.1, compensation.1),
            result(lanes.2, mean.2, compensation.2), result(lanes.3, mean.3, compensation.3)
        )
    }

    /// One run's variance as `varianceOverTime` works it out, or with `root` its square root
    /// (`stddev_over_time`).
    static func varianceOverTime(_ run: UnsafeBufferPointer<Sample>, root: Bool) -> Double {
        let variance = varianceOverTime(run.lazy.map(\.value))
        return root ? variance.squareRoot() : variance
    }

    /// The variances (with `root`, their square roots) of four runs of samples at once, each worked
    /// out as `varianceOverTime` does it (Welford's running mean and sum of squares, each
    /// compensated: Prometheus 2.42's bits; NaN for an empty run), four independent chains of
    /// divisions instead of one.
    static func fourVariances(_ lanes: FourLanes, root: Bool) -> (Double, Double, Double, Double) {
        // Per lane: the mean, its compensation, the sum of squares, its compensation.
        typealias Welford = (mean: Double, meanCompensation: Double, squares: Double, squaresCompensation: Double)
        var state: (Welford, Welford, Welford, Welford) = ((0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0))
        let longest = max(lanes.0.count, lanes.1.count, lanes.2.count, lanes.3.count)
        @inline(__always)
        func add(_ lane: UnsafeBufferPointer<Sample>, _ index: Int, _ count: Double, _ state: inout Welford) {
            guard index < lane.count else { return }
            let value = lane[index].value
            let delta = value - (state.mean + state.meanCompensation)
            compensated(&state.mean, &state.meanCompensation, adding: delta / count)
            compensated(
                &state.squares, &state.squaresCompensation,
                adding: delta * (value - (state.mean + state.meanCompensation)))
        }
        for index in 0..<longest {
            let count = Double(index + 1)
            add(lanes.0, index, count, &state.0)
            add(lanes.1, index, count, &state.1)
            add(lanes.2, index, count, &state.2)
            add(lanes.3, index, count, &state.3)
        }
        func result(_ lane: UnsafeBufferPointer<Sample>, _ state: Welford) -> Double {
            let variance = (state.squares + state.squaresCompensation) / Double(lane.count)
            return root ? variance.squareRoot() : variance
        }
        return (
            result(lanes.0, state.0), result(lanes.1, state.1), result(lanes.2, state.2), result(lanes.3, state.3)
        )
    }

    /// `min_over_time` (`least`) or `max_over_time` at each step, from the window's candidates kept
    /// as it slides: the positions of the values no later value beats, in time order, so the first
    /// is the window's extreme and each sample enters and leaves once (a ten-minute window at a
    /// one-minute step went through forty samples at every step). The same value as folding the
    /// window in time order: the first of equal values (0 before -0), NaN only when all are NaN.
    static func extremes(
        _ samples: UnsafeBufferPointer<Sample>, steps: [Int64], offset: Int64, range: Int64, least: Bool
    ) -> [Double?] {
        var values = [Double?](repeating: nil, count: steps.count)
        var candidates: [Int] = []
        var first = 0
        var (low, high) = (0, 0)
        for (position, time) in steps.enumerated() {
            let reference = time - offset
            while high < samples.count && samples[high].timestamp <= reference {
                let value = samples[high].value
                if !value.isNaN {
                    // A later value beats an earlier one only when strictly beyond it.
                    while candidates.count > first,
                        least
                            ? samples[candidates[candidates.count - 1]].value > value
                            : samples[candidates[candidates.count - 1]].value < value
                    {
                        candidates.removeLast()
                    }
                    candidates.append(high)
                }
                high += 1
            }
            while low < high && samples[low].timestamp <= reference - range { low += 1 }
            // Those left behind stay in the list: it never holds more than the series' samples.
            while first < candidates.count && candidates[first] < low { first += 1 }
            guard low < high else { continue }
            values[position] = first < candidates.count ? samples[candidates[first]].value : .nan
        }
        return values
    }

    /// `quantile_over_time` at each step, from the window's values kept in order as it slides: a
    /// value that enters goes after the values equal to it, and one that leaves (the window's oldest)
    /// is the first of its equals, so that the order is the one sorting the window would give (a
    /// stable sort, equal values in time order) without sorting it again at every step.
    static func quantiles(
        _ samples: UnsafeBufferPointer<Sample>, steps: [Int64], offset: Int64, range: Int64, phi: Double
    ) -> [Double?] {
        var values = [Double?](repeating: nil, count: steps.count)
        var window: [Double] = []
        /// The first position of `window` where `isAfter` holds (it holds from there on).
        func first(where isAfter: (Double) -> Bool) -> Int {
            var (start, end) = (0, window.count)
            while start < end {
                let middle = (start + end) / 2
                if isAfter(window[middle]) { end = middle } else { start = middle + 1 }
            }
            return start
        }
        var low = 0
        var high = 0
        for (position, time) in steps.enumerated() {
            let reference = time - offset
            var newHigh = high
            while newHigh < samples.count && samples[newHigh].timestamp <= reference { newHigh += 1 }
            var newLow = low
            while newLow < newHigh && samples[newLow].timestamp <= reference - range { newLow += 1 }
            // Each insertion or removal moves up to the whole window: when many samples enter and
            // leave at once (a step long beside the samples' interval), sorting the window anew
            // costs less, and gives the same order.
            let moved = (newHigh - high) + (newLow - low)
            if moved > 8 + 4 * (Int.bitWidth - window.count.leadingZeroBitCount) {
                window = samples[newLow..<newHigh].map(\.value).sorted(by: sortsBefore)
            } else {
                for index in high..<newHigh {
                    let entering = samples[index].value
                    window.insert(entering, at: first { sortsBefore(entering, $0) })
                }
                for index in low..<newLow {
                    let leaving = samples[index].value
                    window.remove(at: first { !sortsBefore($0, leaving) })
                }
            }
            (low, high) = (newLow, newHigh)
            guard low < high else { continue }
            values[position] = quantile(phi, sorted: window)
        }
        return values
    }
}
