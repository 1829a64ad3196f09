import Foundation
import IOCCore

/// Binary operators and aggregations, as Prometheus defines them.
extension Evaluation {
    func binary(
        _ op: BinaryOperator, _ left: QueryValue, _ right: QueryValue, _ matching: VectorMatching, at time: Int64
    )
        throws -> QueryValue
    {
        switch (left, right) {
        case (.scalar(let a), .scalar(let b)):
            let (value, keep) = Evaluation.apply(op, a, b)
            return .scalar(op.isComparison ? (keep ? 1 : 0) : value)
        case (.vector(let elements), .scalar(let b)):
            let result = scalarOperation(op, elements, b, scalarOnLeft: false, matching.returnBool)
            try checkDistinct(result, input: elements)
            return .vector(result)
        case (.scalar(let a), .vector(let elements)):
            let result = scalarOperation(op, elements, a, scalarOnLeft: true, matching.returnBool)
            try checkDistinct(result, input: elements)
            return .vector(result)
        case (.vector(let lhs), .vector(let rhs)):
            switch op {
            case .and, .or, .unless: return .vector(setOperation(op, lhs, rhs, matching))
            default: return .vector(try vectorOperation(op, lhs, rhs, matching))
            }
        default:
            throw fail("operator \(op.rawValue) needs scalars or instant vectors")
        }
    }

    /// The arithmetic result, and for comparisons whether it holds.
    static func apply(_ op: BinaryOperator, _ a: Double, _ b: Double) -> (Double, Bool) {
        switch op {
        case .add: return (a + b, true)
        case .subtract: return (a - b, true)
        case .multiply: return (a * b, true)
        case .divide: return (a / b, true)
        case .modulo: return (fmod(a, b), true)
        case .power: return (pow(a, b), true)
        case .atan2: return (Foundation.atan2(a, b), true)
        case .equal: return (a, a == b)
        case .notEqual: return (a, a != b)
        case .greater: return (a, a > b)
        case .less: return (a, a < b)
        case .greaterOrEqual: return (a, a >= b)
        case .lessOrEqual: return (a, a <= b)
        case .and, .or, .unless: return (a, true)
        }
    }

    private func scalarOperation(
        _ op: BinaryOperator, _ elements: [VectorElement], _ scalar: Double, scalarOnLeft: Bool, _ returnBool: Bool
    ) -> [VectorElement] {
        var result: [VectorElement] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            let (a, b) = scalarOnLeft ? (scalar, element.value) : (element.value, scalar)
            var (value, keep) = Evaluation.apply(op, a, b)
            var labels = element.labels
            if op.isComparison {
                if returnBool {
                    value = keep ? 1 : 0
                    keep = true
                    labels = labels.droppingMetricName()
                } else {
                    // A comparison filters; the vector's own value is kept.
                    value = element.value
                }
            } else {
                labels = labels.droppingMetricName()
            }
            if keep { result.append(VectorElement(labels: labels, value: value, timestamp: element.timestamp)) }
        }
        return result
    }

    /// The labels on which two elements match.
    static func signature(_ labels: Labels, _ matching: VectorMatching) -> Labels {
        labels.keeping { matches($0, matching) }
    }

    /// The fingerprint of the signature, without building it.
    static func signatureKey(_ labels: Labels, _ matching: VectorMatching) -> Fingerprint {
        matching.on ? labels.fingerprint(ofNames: matching.labels) : labels.fingerprint(excluding: matching.labels)
    }

    private static func matches(_ name: String, _ matching: VectorMatching) -> Bool {
        matching.on ? matching.labels.contains(name) : name != Labels.metricName && !matching.labels.contains(name)
    }

    private func setOperation(
        _ op: BinaryOperator, _ lhs: [VectorElement], _ rhs: [VectorElement], _ matching: VectorMatching
    ) -> [VectorElement] {
        let right = Set(rhs.map { Evaluation.signatureKey($0.labels, matching) })
        switch op {
        case .and: return lhs.filter { right.contains(Evaluation.signatureKey($0.labels, matching)) }
        case .unless: return lhs.filter { !right.contains(Evaluation.signatureKey($0.labels, matching)) }
        default:
            let left = Set(lhs.map { Evaluation.signatureKey($0.labels, matching) })
            return lhs + rhs.filter { !left.contains(Evaluation.signatureKey($0.labels, matching)) }
        }
    }

    private func vectorOperation(
        _ op: BinaryOperator, _ lhs: [VectorElement], _ rhs: [VectorElement], _ matching: VectorMatching
    ) throws -> [VectorElement] {
        // The "one" side, by signature; group_right swaps the sides' roles.
        let swapped = matching.cardinality == .oneToMany
        let (many, one) = swapped ? (rhs, lhs) : (lhs, rhs)
        // Positions, not elements: looking an element up would retain its labels.
        var oneSide: [Fingerprint: Int] = [:]
        oneSide.reserveCapacity(one.count)
        for position in one.indices {
            let key = Evaluation.signatureKey(one[position].labels, matching)
            if oneSide.updateValue(position, forKey: key) != nil {
                throw fail(
                    "found duplicate series for the match group \(Evaluation.signature(one[position].labels, matching)) on the \(swapped ? "left" : "right") hand-side of the operation: many-to-many matching not allowed: matching labels must be unique on one side"
                )
            }
        }
        // One to one, the result's labels hold its signature, which is unique. A group's results
        // repeat only when they take labels from the other side or lose names that told them apart
        // (vectors are distinct, see `checkDistinct`).
        let dropsName = !op.isComparison || matching.returnBool
        let mayRepeat =
            matching.cardinality != .oneToOne
            && (!matching.include.isEmpty || (dropsName && Evaluation.holdsSeveralNames(many)))
        var matchedOnce: Set<Fingerprint> = []
        var result: [VectorElement] = []
        result.reserveCapacity(many.count)
        var seen: Set<Fingerprint> = []
        for element in many {
            let key = Evaluation.signatureKey(element.labels, matching)
            guard let partnerPosition = oneSide[key] else { continue }
            if matching.cardinality == .oneToOne {
                guard matchedOnce.insert(key).inserted else {
                    throw fail(
                        "found duplicate series for the match group \(Evaluation.signature(element.labels, matching)) on the left hand-side of the operation: many-to-one matching must be explicit (group_left/group_right)"
                    )
                }
            }
            let partnerValue = one[partnerPosition].value
            let (a, b) = swapped ? (partnerValue, element.value) : (element.value, partnerValue)
            var (value, keep) = Evaluation.apply(op, a, b)
            if op.isComparison {
                if matching.returnBool {
                    value = keep ? 1 : 0
                    keep = true
                } else {
                    value = a
                }
            }
            guard keep else { continue }
            let labels =
                matching.include.isEmpty
                ? resultLabels(element.labels, Labels(), op, matching)
                : resultLabels(element.labels, one[partnerPosition].labels, op, matching)
            guard !mayRepeat || seen.insert(labels.fingerprint).inserted else {
                throw fail("multiple matches for labels: grouping labels must ensure unique matches")
            }
            // A filtering comparison keeps the left side's sample as it was.
            let timestamp = swapped ? one[partnerPosition].timestamp : element.timestamp
            result.append(VectorElement(labels: labels, value: value, timestamp: timestamp))
        }
        return result
    }

    /// Whether the elements carry more than one metric name (none counts as one).
    static func holdsSeveralNames(_ elements: [VectorElement]) -> Bool {
        guard let first = elements.first?.labels.metric else { return elements.contains { $0.labels.metric != nil } }
        return elements.contains { $0.labels.metric != first }
    }

    func resultLabels(_ many: Labels, _ one: Labels, _ op: BinaryOperator, _ matching: VectorMatching) -> Labels {
        var labels = many
        if !op.isComparison || matching.returnBool { labels = labels.droppingMetricName() }
        if matching.cardinality == .oneToOne {
            if matching.on {
                labels = labels.keeping { matching.labels.contains($0) }
            } else {
                for name in matching.labels { labels[name] = nil }
            }
        }
        for name in matching.include { labels[name] = one[name] }
        return labels
    }

    // MARK: Aggregations

    func aggregate(
        _ aggregation: Aggregation, _ elements: [VectorElement], parameter: QueryValue?, _ grouping: Grouping,
        at time: Int64
    ) throws -> [VectorElement] {
        let (keys, positions) = grouping.assign(elements.lazy.map(\.labels))
        let members = positions.map { $0.map { elements[$0] } }
        var scalarParameter = Double.nan
        if case .scalar(let value) = parameter { scalarParameter = value }
        switch aggregation {
        case .topk, .bottomk:
            let k = try rankCount(scalarParameter)
            var result: [VectorElement] = []
            for index in keys.indices {
                let members = members[index]
                var heap = RankHeap(k: k, top: aggregation == .topk)
                for (position, member) in members.enumerated() { heap.offer(member.value, member: position) }
                result += heap.ordered().map { members[$0.member] }
            }
            return result
        case .countValues:
            guard case .string(let label) = parameter else { throw fail("invalid label name for count_values") }
            try checkCountValuesLabel(label)
            var counts: [Labels: Double] = [:]
            var valueOrder: [Labels] = []
            for (index, group) in keys.enumerated() {
                for element in members[index] {
                    var labels = group
                    labels[label] = JSONBytes.goText(element.value, scientific: false)
                    if counts[labels] == nil { valueOrder.append(labels) }
                    counts[labels, default: 0] += 1
                }
            }
            return valueOrder.map { VectorElement(labels: $0, value: counts[$0] ?? 0, timestamp: time) }
        default:
            return keys.enumerated().map { index, group in
                let values = members[index].map(\.value)
                return VectorElement(
                    labels: group, value: Evaluation.fold(aggregation, values, parameter: scalarParameter),
                    timestamp: time)
            }
        }
    }

    /// How many members `topk` or `bottomk` keep for `k`: Prometheus' check that k converts to a
    /// 64-bit integer (NaN and ±Inf do not, nor 1e20), then its whole part, none below 1 (and no
    /// more than a billion, which no group reaches).
    func rankCount(_ k: Double) throws -> Int {
        guard k >= Double(Int64.min), k <= Double(Int64.max) else {
            throw fail("Scalar value \(JSONBytes.goText(k, scientific: true)) overflows int64")
        }
        return Int(max(0, min(k.rounded(.towardZero), 1e9)))
    }

    /// `count_values`' label must be a label name as Prometheus 2.42 has them (`[a-zA-Z_][a-zA-Z0-9_]*`).
    func checkCountValuesLabel(_ label: String) throws {
        guard Labels.isClassicLabelName(label) else {
            throw fail("invalid label name \(ControlCharacters.quoted(label))")
        }
    }

    /// A group's values folded into one, with the arithmetic of Prometheus 2.42's aggregations to
    /// the bit (`ioc-bench peers --compare` finds a last digit apart): `sum` adds in the group's
    /// order without compensation, `avg` is a running mean, `stddev` and `stdvar` Welford's.
    static func fold(_ aggregation: Aggregation, _ values: [Double], parameter: Double) -> Double {
        switch aggregation {
        case .sum: return values.reduce(0, +)
        case .avg:
            var mean = RunningMean()
            for value in values { mean.add(value) }
            return mean.value
        case .min: return values.reduce(Double.nan) { $0.isNaN || $1 < $0 ? $1 : $0 }
        case .max: return values.reduce(Double.nan) { $0.isNaN || $1 > $0 ? $1 : $0 }
        case .count: return Double(values.count)
        case .group: return 1
        case .stddev: return variance(values).squareRoot()
        case .stdvar: return variance(values)
        case .quantile: return quantile(parameter, values)
        default: return .nan
        }
    }

    /// Prometheus' `kahanSumInc`: `sum` and its compensation after adding `value` (Neumaier's
    /// variant, the larger term's low bits kept).
    @inline(__always)
    static func compensated(_ sum: inout Double, _ compensation: inout Double, adding value: Double) {
        let t = sum + value
        if abs(sum) >= abs(value) {
            compensation += (sum - t) + value
        } else {
            compensation += (value - t) + sum
        }
        sum = t
    }

    /// `sum_over_time`: a compensated sum.
    static func kahanSum(_ values: some Collection<Double>) -> Double {
        var sum = 0.0
        var compensation = 0.0
        for value in values { compensated(&sum, &compensation, adding: value) }
        // Infinities make the compensation NaN; the plain sum is then the answer.
        return compensation.isFinite ? sum + compensation : sum
    }

    /// `avg_over_time` as Prometheus 2.42: a running mean whose steps are summed with compensation,
    /// an infinite mean kept while the values cannot change it.
    static func meanOverTime(_ values: some Collection<Double>) -> Double {
        guard !values.isEmpty else { return .nan }
        var mean = 0.0
        var compensation = 0.0
        var count = 0.0
        for value in values {
            count += 1
            if RunningMean.keeps(infinite: mean, adding: value) { continue }
            compensated(&mean, &compensation, adding: value / count - mean / count)
        }
        return mean.isInfinite ? mean : mean + compensation
    }

    /// `stdvar_over_time` (and the square of `stddev_over_time`) as Prometheus 2.42: Welford's
    /// running mean and sum of squares, each summed with compensation.
    static func varianceOverTime(_ values: some Collection<Double>) -> Double {
        guard !values.isEmpty else { return .nan }
        var count = 0.0
        var mean = 0.0
        var meanCompensation = 0.0
        var squares = 0.0
        var squaresCompensation = 0.0
        for value in values {
            count += 1
            let delta = value - (mean + meanCompensation)
            compensated(&mean, &meanCompensation, adding: delta / count)
            compensated(&squares, &squaresCompensation, adding: delta * (value - (mean + meanCompensation)))
        }
        return (squares + squaresCompensation) / count
    }

    /// The population variance (Welford), as the `stddev` and `stdvar` aggregations compute it.
    static func variance(_ values: some Collection<Double>) -> Double {
        guard !values.isEmpty else { return .nan }
        var count = 0.0
        var mean = 0.0
        var squares = 0.0
        for value in values {
            count += 1
            let delta = value - mean
            mean += delta / count
            squares += delta * (value - mean)
        }
        return squares / count
    }

    /// Prometheus' quantile: linear interpolation between the closest ranks; φ below 0 is −Inf, above
    /// 1 is +Inf.
    static func quantile(_ phi: Double, _ values: [Double]) -> Double {
        guard !values.isEmpty, !phi.isNaN, (0...1).contains(phi) else { return quantile(phi, sorted: values) }
        return quantile(phi, sorted: values.sorted(by: sortsBefore))
    }

    /// The order of `quantile`: numbers ascending, NaN after every number.
    @inline(__always)
    static func sortsBefore(_ a: Double, _ b: Double) -> Bool { a.isNaN ? false : (b.isNaN ? true : a < b) }

    /// `quantile` of values already in its order.
    static func quantile(_ phi: Double, sorted: [Double]) -> Double {
        guard !sorted.isEmpty, !phi.isNaN else { return .nan }
        if phi < 0 { return -.infinity }
        if phi > 1 { return .infinity }
        let rank = phi * Double(sorted.count - 1)
        let lower = max(0, Int(rank.rounded(.down)))
        let upper = min(sorted.count - 1, lower + 1)
        let weight = rank - rank.rounded(.down)
        return sorted[lower] * (1 - weight) + sorted[upper] * weight
    }
}

extension Evaluation {
    /// The right side of `and` or `unless` between two selectors: only its series whose signature
    /// some series of the left side has can change the answer (the others never match), so the
    /// others' samples need not be loaded. `x{province="p07"} unless x{service="dvc"}` then loads
    /// the thirty series of p07's dvc on the right, not the thousand of dvc. Only for a left side
    /// that is a selector, whose series' labels are the ones the operator matches on.
    struct SideFilter {
        /// The selector whose series are filtered, and the one whose series they must match.
        let filtered: Int
        let by: Int
        let matching: VectorMatching

        init?(_ expression: Expression) {
            guard case .binary(let op, let left, let right, let matching) = expression, op == .and || op == .unless,
                case .vector(let kept) = left.withoutParentheses,
                case .vector(let narrowed) = right.withoutParentheses
            else { return nil }
            filtered = narrowed.index
            by = kept.index
            self.matching = matching
        }

        /// Whether a series of the filtered side matches one of `others` (the left side's series).
        func keeping(_ others: some Sequence<Labels>) -> (Labels) -> Bool {
            let signatures = Set(others.map { Evaluation.signatureKey($0, matching) })
            return { [matching] in signatures.contains(Evaluation.signatureKey($0, matching)) }
        }
    }
}

/// The `avg` aggregation's mean as Prometheus 2.42 keeps it: the first value, then each next one
/// folded in as `mean += value / count - mean / count` (no sum that could overflow), an infinite
/// mean kept while a value cannot change it.
struct RunningMean {
    private(set) var value = Double.nan
    private var count = 0.0

    mutating func add(_ next: Double) {
        count += 1
        guard count > 1 else {
            value = next
            return
        }
        if RunningMean.keeps(infinite: value, adding: next) { return }
        value += next / count - value / count
    }

    /// Whether an infinite `mean` stays as it is with `value` added: an infinity of its sign, or a
    /// finite number (subtracting the mean would make NaN of both).
    @inline(__always)
    static func keeps(infinite mean: Double, adding value: Double) -> Bool {
        guard mean.isInfinite else { return false }
        if value.isInfinite { return (mean > 0) == (value > 0) }
        return !value.isNaN
    }
}

/// Checks every result passes through.
extension Evaluation {
    /// Whether the result's order is the expression's own (sort, sort_desc, topk...): not re-sorted.
    static func keepsOrder(_ expression: Expression) -> Bool {
        switch expression {
        case .parenthesis(let inner): keepsOrder(inner)
        case .call(let function, _): function.name == "sort" || function.name == "sort_desc"
        case .aggregation(let aggregation, _, _, _): aggregation == .topk || aggregation == .bottomk
        default: false
        }
    }

    /// Prometheus' check on every result: dropping metric names must not leave two elements with the
    /// same labels. Only possible when the input held more than one metric name.
    func checkDistinct(_ elements: [VectorElement], input: [VectorElement]) throws {
        try checkDistinct(elements, names: input.lazy.map(\.labels))
    }

    func checkDistinct(_ elements: [VectorElement], names: some Sequence<Labels>) throws {
        var iterator = names.makeIterator()
        guard let first = iterator.next()?.metric else { return }
        var several = false
        while !several, let next = iterator.next() { several = next.metric != first }
        guard several else { return }
        var seen: Set<Fingerprint> = []
        for element in elements where !seen.insert(element.labels.fingerprint).inserted {
            throw fail("vector cannot contain metrics with the same labelset")
        }
    }
}
