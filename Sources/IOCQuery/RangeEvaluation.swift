import IOCCore

/// Range queries whose shape allows it are evaluated a series at a time rather than a step at a
/// time: a selector, or a function of a range selector, is worked out for every step of one series
/// with windows that slide forward (no search, no per-step allocation), and an aggregation over
/// such an expression assigns each series to its group once. Anything else takes the general path,
/// which evaluates the whole expression at every step. Both give the same answers; the promqltest
/// scripts run every range query through the engine, and its tests compare the two.
extension Evaluation {
    /// One output series of the fast path: labels and a value per step (nil where none).
    struct StepSeries {
        var labels: Labels
        var values: [Double?]
    }

    /// The range query's series, if its shape allows the fast path; nil otherwise.
    func fastRange(_ expression: Expression, steps: [Int64]) throws -> [StepSeries]? {
        switch expression {
        case .parenthesis(let inner): return try fastRange(inner, steps: steps)
        case .aggregation(let aggregation, let inner, nil, let grouping)
        where [.sum, .avg, .min, .max, .count, .group, .stddev, .stdvar].contains(aggregation):
            guard let series = try perSeries(inner, steps: steps) else { return nil }
            return aggregate(aggregation, series, grouping, steps: steps.count)
        default:
            return try perSeries(expression, steps: steps)
        }
    }

    /// A selector, or a range function of a range selector, for every step.
    private func perSeries(_ expression: Expression, steps: [Int64]) throws -> [StepSeries]? {
        switch expression {
        case .parenthesis(let inner): return try perSeries(inner, steps: steps)
        case .vector(let selector):
            return data[selector.index].compactMap { series in
                let values = Evaluation.instantValues(
                    series.all, steps: steps, offset: selector.offset, lookback: engine.lookback)
                return values.contains { $0 != nil } ? StepSeries(labels: series.labels, values: values) : nil
            }
        case .call(let function, let arguments):
            var parameter = Double.nan
            var rangeArgument: Expression
            switch function.name {
            case "quantile_over_time":
                guard case .number(let value) = arguments[0] else { return nil }
                parameter = value
                rangeArgument = arguments[1]
            case "predict_linear":
                guard case .number(let value) = arguments[1] else { return nil }
                parameter = value
                rangeArgument = arguments[0]
            case "absent_over_time": return nil
            default:
                guard function.arguments == [.matrix] else { return nil }
                rangeArgument = arguments[0]
            }
            guard case .matrix(let selector, let range) = rangeArgument else { return nil }
            let keepName = function.name == "last_over_time"
            let input = data[selector.index]
            // Each series' steps are independent of the others': worked out on every core.
            let result: [StepSeries] = ParallelWork.map(input.count, minimum: 8) { index -> StepSeries? in
                let series = input[index]
                let values = Evaluation.rangeValues(
                    function.name, series.ranged, steps: steps, offset: selector.offset, range: range,
                    parameter: parameter)
                guard values.contains(where: { $0 != nil }) else { return nil }
                return StepSeries(labels: keepName ? series.labels : series.withoutName, values: values)
            }
            .compactMap { $0 }
            if !keepName { try checkDistinct(result.map(\.labels)) }
            return result
        default:
            return nil
        }
    }

    private func checkDistinct(_ labels: [Labels]) throws {
        var seen: Set<Fingerprint> = []
        for item in labels where !seen.insert(item.fingerprint).inserted {
            throw fail("vector cannot contain metrics with the same labelset")
        }
    }

    /// A series' latest sample in each step's lookback window, staleness markers hiding it.
    static func instantValues(_ samples: [Sample], steps: [Int64], offset: Int64, lookback: Int64) -> [Double?] {
        var values = [Double?](repeating: nil, count: steps.count)
        var next = 0
        for (position, time) in steps.enumerated() {
            let reference = time - offset
            while next < samples.count && samples[next].timestamp <= reference { next += 1 }
            guard next > 0 else { continue }
            let sample = samples[next - 1]
            if sample.timestamp > reference - lookback && !sample.isStale { values[position] = sample.value }
        }
        return values
    }

    /// A range function of a series' window (t − offset − range, t − offset] at each step.
    static func rangeValues(
        _ name: String, _ samples: [Sample], steps: [Int64], offset: Int64, range: Int64, parameter: Double
    ) -> [Double?] {
        var values = [Double?](repeating: nil, count: steps.count)
        samples.withUnsafeBufferPointer { samples in
            var low = 0
            var high = 0
            for (position, time) in steps.enumerated() {
                let reference = time - offset
                while high < samples.count && samples[high].timestamp <= reference { high += 1 }
                while low < high && samples[low].timestamp <= reference - range { low += 1 }
                guard low < high else { continue }
                values[position] = overRange(
                    name, UnsafeBufferPointer(rebasing: samples[low..<high]), range: range, at: reference,
                    parameter: parameter)
            }
        }
        return values
    }

    /// An aggregation of per-series values: each series' group found once, then folded per step.
    private func aggregate(_ aggregation: Aggregation, _ series: [StepSeries], _ grouping: Grouping, steps: Int)
        -> [StepSeries]
    {
        let (keys, members) = grouping.assign(series.lazy.map(\.labels))
        var values: [Double] = []
        return keys.indices.compactMap { group in
            var folded = [Double?](repeating: nil, count: steps)
            for step in 0..<steps {
                values.removeAll(keepingCapacity: true)
                for member in members[group] {
                    if let value = series[member].values[step] { values.append(value) }
                }
                if !values.isEmpty { folded[step] = Evaluation.fold(aggregation, values, parameter: .nan) }
            }
            return folded.contains { $0 != nil } ? StepSeries(labels: keys[group], values: folded) : nil
        }
    }
}
