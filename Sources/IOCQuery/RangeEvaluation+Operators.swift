import IOCCore

/// Binary operators over every step of a range at once. Labels do not change from step to step, so
/// each series' result labels and each pair of matching series are worked out once; where a step
/// could find what the general path reports as an error (two series with the same labels after the
/// operator, two on one side of a match), the node is left to the general path, which finds it.
extension Evaluation {
    /// `left op right` at every step; nil when the general path must decide.
    func binary(_ op: BinaryOperator, _ left: StepValue, _ right: StepValue, _ matching: VectorMatching) throws
        -> StepValue?
    {
        switch (left, right) {
        case (.scalar(let a), .scalar(let b)):
            return .scalar(
                zip(a, b).map { a, b in
                    let (value, keep) = Evaluation.apply(op, a, b)
                    return op.isComparison ? (keep ? 1 : 0) : value
                })
        case (.vector(let series), .scalar(let scalars)):
            return scalarOperation(op, series, scalars, scalarOnLeft: false, matching.returnBool)
        case (.scalar(let scalars), .vector(let series)):
            return scalarOperation(op, series, scalars, scalarOnLeft: true, matching.returnBool)
        case (.vector(let lhs), .vector(let rhs)):
            if [.and, .or, .unless].contains(op) { return setOperation(op, lhs, rhs, matching) }
            return vectorOperation(op, lhs, rhs, matching)
        }
    }

    private func scalarOperation(
        _ op: BinaryOperator, _ series: [StepSeries], _ scalars: [Double], scalarOnLeft: Bool, _ returnBool: Bool
    ) -> StepValue? {
        let filters = op.isComparison && !returnBool
        let labels = series.map { filters ? $0.labels : $0.labels.droppingMetricName() }
        guard Evaluation.distinct(labels) else { return nil }
        var result: [StepSeries] = []
        result.reserveCapacity(series.count)
        for (item, labels) in zip(series, labels) {
            var values = item.values
            var any = false
            for step in values.indices {
                guard let own = values[step] else { continue }
                let (a, b) = scalarOnLeft ? (scalars[step], own) : (own, scalars[step])
                let (value, keep) = Evaluation.apply(op, a, b)
                if !op.isComparison {
                    values[step] = value
                } else if returnBool {
                    values[step] = keep ? 1 : 0
                } else if !keep {
                    values[step] = nil
                }
                any = any || values[step] != nil
            }
            if any { result.append(StepSeries(labels: labels, values: values)) }
        }
        return .vector(result)
    }

    /// Arithmetic and comparisons between two vectors, when every signature belongs to one series
    /// on the "one" side (and, matched one to one, on the other too) and the results' labels are
    /// distinct: then each pair is found once for all steps, and no step can hold a duplicate.
    private func vectorOperation(
        _ op: BinaryOperator, _ lhs: [StepSeries], _ rhs: [StepSeries], _ matching: VectorMatching
    ) -> StepValue? {
        guard ![.and, .or, .unless].contains(op) else { return nil }
        // group_right swaps the sides' roles, as in the general path.
        let swapped = matching.cardinality == .oneToMany
        let (many, one) = swapped ? (rhs, lhs) : (lhs, rhs)
        var partners: [Fingerprint: Int] = [:]
        partners.reserveCapacity(one.count)
        for (index, item) in one.enumerated() {
            guard partners.updateValue(index, forKey: Evaluation.signatureKey(item.labels, matching)) == nil else {
                return nil
            }
        }
        var pairs: [(many: Int, one: Int)] = []
        var matched: Set<Fingerprint> = []
        for (index, item) in many.enumerated() {
            let key = Evaluation.signatureKey(item.labels, matching)
            if matching.cardinality == .oneToOne { guard matched.insert(key).inserted else { return nil } }
            if let partner = partners[key] { pairs.append((index, partner)) }
        }
        let labels = pairs.map { pair in
            matching.include.isEmpty
                ? resultLabels(many[pair.many].labels, Labels(), op, matching)
                : resultLabels(many[pair.many].labels, one[pair.one].labels, op, matching)
        }
        guard Evaluation.distinct(labels) else { return nil }
        var result: [StepSeries] = []
        result.reserveCapacity(pairs.count)
        for (pair, labels) in zip(pairs, labels) {
            let (left, right) =
                swapped
                ? (one[pair.one].values, many[pair.many].values) : (many[pair.many].values, one[pair.one].values)
            var values = [Double?](repeating: nil, count: left.count)
            var any = false
            for step in values.indices {
                guard let a = left[step], let b = right[step] else { continue }
                let (value, keep) = Evaluation.apply(op, a, b)
                if !op.isComparison {
                    values[step] = value
                } else if matching.returnBool {
                    values[step] = keep ? 1 : 0
                } else if keep {
                    values[step] = a
                }
                any = any || values[step] != nil
            }
            if any { result.append(StepSeries(labels: labels, values: values)) }
        }
        return .vector(result)
    }

    /// `and`, `or` and `unless` at every step: each series' signature is found once, with the
    /// steps at which the other side has a series of that signature.
    private func setOperation(
        _ op: BinaryOperator, _ lhs: [StepSeries], _ rhs: [StepSeries], _ matching: VectorMatching
    ) -> StepValue? {
        guard let steps = (lhs.first ?? rhs.first)?.values.count else { return .vector([]) }
        func presence(_ side: [StepSeries]) -> [Fingerprint: [Bool]] {
            var present: [Fingerprint: [Bool]] = [:]
            let none = [Bool](repeating: false, count: steps)
            for item in side {
                // One lookup a series, not one a step.
                present[Evaluation.signatureKey(item.labels, matching), default: none].withUnsafeMutableBufferPointer {
                    for step in item.values.indices where item.values[step] != nil { $0[step] = true }
                }
            }
            return present
        }
        // One side's series, each without its values at the steps the other side's `present` marks
        // (with `dropPresent`) or does not mark (without it).
        func filtered(_ side: [StepSeries], by present: [Fingerprint: [Bool]], dropPresent: Bool) -> [StepSeries] {
            side.compactMap { item in
                guard let marks = present[Evaluation.signatureKey(item.labels, matching)] else {
                    return dropPresent && item.values.contains { $0 != nil } ? item : nil
                }
                var values = item.values
                for step in values.indices where values[step] != nil && marks[step] == dropPresent {
                    values[step] = nil
                }
                return values.contains { $0 != nil } ? StepSeries(labels: item.labels, values: values) : nil
            }
        }
        switch op {
        case .and, .unless:
            return .vector(filtered(lhs, by: presence(rhs), dropPresent: op == .unless))
        default:
            var result = lhs.filter { $0.values.contains { $0 != nil } }
            var positions: [Fingerprint: Int] = [:]
            for (position, item) in result.enumerated() { positions[item.labels.fingerprint] = position }
            // A right series with the labels of a left one (`m or m offset 1m`) fills its gaps.
            for item in filtered(rhs, by: presence(lhs), dropPresent: true) {
                guard let position = positions[item.labels.fingerprint] else {
                    positions[item.labels.fingerprint] = result.count
                    result.append(item)
                    continue
                }
                for step in item.values.indices where item.values[step] != nil {
                    guard result[position].values[step] == nil else { return nil }
                    result[position].values[step] = item.values[step]
                }
            }
            return .vector(result)
        }
    }

    static func distinct(_ labels: [Labels]) -> Bool {
        var seen: Set<Fingerprint> = []
        seen.reserveCapacity(labels.count)
        return labels.allSatisfy { seen.insert($0.fingerprint).inserted }
    }
}

/// Functions that change each value on its own (`abs`, `ceil`, `clamp_max`, `round`, ...) over every
/// step at once: the argument over all steps, then each value mapped, the name dropped once per
/// series rather than at every step.
extension Evaluation {
    /// The functions `mappedValues` takes: one vector, then scalar parameters.
    static let valueFunctions: Set<String> = Set(mathFunctions.keys).union(dateFunctions.keys)
        .union(["round", "clamp", "clamp_min", "clamp_max"])

    /// `function(arguments)` at every step; nil when the general path must decide (a parameter that
    /// is not a scalar at every step, or two series alike once their names are dropped).
    func mappedValues(_ function: Function, _ arguments: [Expression], steps: [Int64]) throws -> StepValue? {
        guard let first = arguments.first, case .vector(let series) = try stepValues(first, steps: steps) else {
            return nil
        }
        var parameters: [[Double]] = []
        for argument in arguments.dropFirst() {
            guard case .scalar(let values) = try stepValues(argument, steps: steps) else { return nil }
            parameters.append(values)
        }
        // The value at step `step`, or nil where the function gives no element there.
        let transform: (Double, Int) -> Double?
        switch function.name {
        case "round":
            transform = { value, step in
                let inverse = 1 / (parameters.first?[step] ?? 1)
                return (value * inverse + 0.5).rounded(.down) / inverse
            }
        case "clamp":
            guard parameters.count == 2 else { return nil }
            transform = { value, step in
                let (low, high) = (parameters[0][step], parameters[1][step])
                guard low <= high || low.isNaN || high.isNaN else { return nil }
                return Swift.max(low, Swift.min(high, value))
            }
        case "clamp_min":
            guard parameters.count == 1 else { return nil }
            transform = { value, step in Swift.max(parameters[0][step], value) }
        case "clamp_max":
            guard parameters.count == 1 else { return nil }
            transform = { value, step in Swift.min(parameters[0][step], value) }
        default:
            guard parameters.isEmpty else { return nil }
            if let part = Evaluation.dateFunctions[function.name] {
                transform = { value, _ in Evaluation.datePart(part, value) }
            } else if let math = Evaluation.mathFunctions[function.name] {
                transform = { value, _ in math(value) }
            } else {
                return nil
            }
        }
        var seen: Set<Fingerprint> = []
        var result: [StepSeries] = []
        result.reserveCapacity(series.count)
        for item in series {
            var values = [Double?](repeating: nil, count: steps.count)
            for step in values.indices {
                if let value = item.values[step] { values[step] = transform(value, step) }
            }
            guard values.contains(where: { $0 != nil }) else { continue }
            let labels = item.labels.droppingMetricName()
            guard seen.insert(labels.fingerprint).inserted else { return nil }
            result.append(StepSeries(labels: labels, values: values))
        }
        return .vector(result)
    }
}

/// `topk` and `bottomk` over every step at once: each series' group is found once, and at each step
/// a group's members are offered to a `RankHeap` in the same order as the general path offers them.
extension Evaluation {
    /// Nil when a step's k is not a number the general path accepts (it reports the error).
    func ranked(_ aggregation: Aggregation, _ series: [StepSeries], k: [Double], _ grouping: Grouping, steps: Int)
        -> StepValue?
    {
        guard let counts = try? k.map(rankCount) else { return nil }
        let members = grouping.assign(series.lazy.map(\.labels)).members
        var values: [[Double?]?] = Array(repeating: nil, count: series.count)
        var heap = RankHeap(k: 0, top: aggregation == .topk)
        for step in 0..<steps {
            let count = counts[step]
            guard count > 0 else { continue }
            for group in members {
                heap.restart(k: count)
                for member in group {
                    if let value = series[member].values[step] { heap.offer(value, member: member) }
                }
                for (value, member) in heap.items {
                    if values[member] == nil { values[member] = [Double?](repeating: nil, count: steps) }
                    values[member]?[step] = value
                }
            }
        }
        return .vector(
            series.indices.compactMap { index in
                values[index].map { StepSeries(labels: series[index].labels, values: $0) }
            })
    }
}

/// A range function of a subquery over every step of a range query: the subquery's inner
/// expression once over all the points any step's window holds (they lie on one grid, multiples of
/// its step), where the general path evaluates a subquery of its own at every step.
extension Evaluation {
    /// Nil when the general path must decide: too many points, or series alike once the function
    /// drops their names.
    func overSubquery(
        _ name: String, _ inner: Expression, range: Int64, step: Int64, offset: Int64, steps: [Int64],
        parameter: Double
    ) throws -> [StepSeries]? {
        guard let firstStep = steps.first, let lastStep = steps.last, step > 0 else { return nil }
        let end = lastStep - offset
        // Every point of every step's window: from the first window's start to the last one's end.
        let (first, points) = Evaluation.subqueryPoints(after: firstStep - offset - range, through: end, step: step)
        guard points > 0, points <= Evaluation.fastSubquerySteps, fitsFastPath(steps: Int(points)) else { return nil }
        let times = Array(stride(from: first, through: end, by: Int(step)))
        let series: [StepSeries]
        switch try stepValues(inner, steps: times) {
        case .scalar(let values)?: series = [StepSeries(labels: Labels(), values: values)]
        case .vector(let vector)?: series = vector
        case nil: return nil
        }
        try checkBudget(held: series.reduce(0) { $0 + $1.values.count { $0 != nil } }, now: true)
        let keepName = name == "last_over_time"
        guard let function = RangeFunction(rawValue: name) else { return nil }
        let result = ParallelWork.map(series.count, minimum: 8) { index -> StepSeries? in
            let item = series[index]
            let samples = zip(times, item.values).compactMap { time, value in
                value.map { Sample(timestamp: time, value: $0) }
            }
            let values = Evaluation.rangeValues(
                function, samples, steps: steps, offset: offset, range: range, parameter: parameter)
            guard values.contains(where: { $0 != nil }) else { return nil }
            return StepSeries(labels: keepName ? item.labels : item.labels.droppingMetricName(), values: values)
        }
        .compacted()
        return Evaluation.distinct(result.map(\.labels)) ? result : nil
    }
}

/// `quantile` and `count_values` over every step at once: each series' group found once, where the
/// general path groups every step's elements anew.
extension Evaluation {
    func quantiles(_ series: [StepSeries], phi: [Double], _ grouping: Grouping, steps: Int) -> StepValue {
        let (keys, members) = grouping.assign(series.lazy.map(\.labels))
        var result: [StepSeries] = []
        var values: [Double] = []
        for (key, group) in zip(keys, members) {
            var folded = [Double?](repeating: nil, count: steps)
            for step in 0..<steps {
                values.removeAll(keepingCapacity: true)
                for member in group { if let value = series[member].values[step] { values.append(value) } }
                if !values.isEmpty { folded[step] = Evaluation.fold(.quantile, values, parameter: phi[step]) }
            }
            if folded.contains(where: { $0 != nil }) { result.append(StepSeries(labels: key, values: folded)) }
        }
        return .vector(result)
    }

    /// Each value's series (its group's labels and `label` set to the value) is made once, when the
    /// value is first met, not at every step.
    func countValues(_ series: [StepSeries], label: String, _ grouping: Grouping, steps: [Int64]) throws -> StepValue? {
        try checkCountValuesLabel(label)
        let (keys, members) = grouping.assign(series.lazy.map(\.labels))
        var result: [StepSeries] = []
        var positions: [Fingerprint: Int] = [:]
        for (key, group) in zip(keys, members) {
            // The value's text, by its bits (two values may write alike: they are one series).
            var byBits: [UInt64: Int] = [:]
            for member in group {
                for step in steps.indices {
                    guard let value = series[member].values[step] else { continue }
                    let position: Int
                    if let known = byBits[value.bitPattern] {
                        position = known
                    } else {
                        var labels = key
                        labels[label] = JSONBytes.goText(value, scientific: false)
                        position = positions[labels.fingerprint] ?? result.count
                        if position == result.count {
                            // New label sets could take a value per step each beyond the limit.
                            guard (result.count + 1) * steps.count <= engine.maxSamples else { return nil }
                            positions[labels.fingerprint] = position
                            result.append(
                                StepSeries(labels: labels, values: [Double?](repeating: nil, count: steps.count)))
                        }
                        byBits[value.bitPattern] = position
                    }
                    result[position].values[step] = (result[position].values[step] ?? 0) + 1
                }
            }
        }
        return .vector(result)
    }
}

/// Functions whose argument is worked out over all steps at once (a selection and `rate` a series
/// at a time), then taken at each step or over all of them: `absent`, `histogram_quantile`, the
/// label rewrites and the functions of each value.
extension Evaluation {
    /// 1 with `labels` at the steps where none of `series` has a value.
    private func absent(_ series: [StepSeries], labels: Labels, steps: Int) -> StepValue {
        var values = [Double?](repeating: 1, count: steps)
        for item in series {
            for step in values.indices where item.values[step] != nil { values[step] = nil }
        }
        guard values.contains(where: { $0 != nil }) else { return .vector([]) }
        return .vector([StepSeries(labels: labels, values: values)])
    }

    /// Nil when the general path must decide (or the function is not one of these).
    func functionStepValues(_ function: Function, _ arguments: [Expression], steps: [Int64]) throws -> StepValue? {
        switch function.name {
        case "absent":
            // 1 at the steps where the argument has no series, with the labels of its selector.
            guard case .vector(let series) = try stepValues(arguments[0], steps: steps) else {
                return nil
            }
            return absent(series, labels: Evaluation.absentLabels(arguments[0]), steps: steps.count)
        case "absent_over_time":
            // As `absent`, of each series' last sample in its window (which keeps the names: no
            // error where two series differ only by them).
            guard let last = Function.all["last_over_time"],
                let series = try perSeries(.call(last, arguments), steps: steps)
            else { return nil }
            return absent(series, labels: Evaluation.absentLabels(arguments[0]), steps: steps.count)
        case "histogram_quantile":
            // The buckets over all steps at once (a selection and `rate` a series at a time), then
            // the quantile of each step's buckets.
            guard case .scalar(let phis) = try stepValues(arguments[0], steps: steps),
                case .vector(let buckets) = try stepValues(arguments[1], steps: steps)
            else { return nil }
            return try eachStep(steps) { step, time in
                let elements = buckets.compactMap { item in
                    item.values[step].map { VectorElement(labels: item.labels, value: $0, timestamp: time) }
                }
                return try histogramQuantile(phis[step], elements)
            }
        case "label_replace", "label_join":
            guard case .vector(let series) = try stepValues(arguments[0], steps: steps) else {
                return nil
            }
            let rewrite = try labelRewrite(function.name, arguments, at: steps.first ?? 0)
            let result = series.map { StepSeries(labels: rewrite($0.labels), values: $0.values) }
            // Two series alike after it are an error only at a step where both have a value.
            return Evaluation.distinct(result.map(\.labels))
                ? .vector(result) : nil
        case "scalar":
            // The value of the one series at each step; NaN where there are none or several.
            guard case .vector(let series) = try stepValues(arguments[0], steps: steps) else { return nil }
            var values = [Double](repeating: .nan, count: steps.count)
            var counts = [Int](repeating: 0, count: steps.count)
            for item in series {
                for step in values.indices {
                    guard let value = item.values[step] else { continue }
                    counts[step] += 1
                    values[step] = counts[step] == 1 ? value : .nan
                }
            }
            return .scalar(values)
        case "vector":
            guard case .scalar(let values) = try stepValues(arguments[0], steps: steps) else { return nil }
            return .vector([StepSeries(labels: Labels(), values: values)])
        case "sort", "sort_desc":
            // Order within a step does not reach a range query's answer: the argument's series.
            return try stepValues(arguments[0], steps: steps)
        case _ where Evaluation.valueFunctions.contains(function.name):
            // `hour()` and the others without an argument: of the step's own time.
            if arguments.isEmpty, let part = Evaluation.dateFunctions[function.name] {
                return .vector([
                    StepSeries(labels: Labels(), values: steps.map { Evaluation.datePart(part, Double($0) / 1000) })
                ])
            }
            return try mappedValues(function, arguments, steps: steps)
        default:
            return nil
        }
    }
}
