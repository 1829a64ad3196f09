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

    /// Arithmetic and comparisons between two vectors matched one to one, when every signature
    /// belongs to one series on each side and the results' labels are distinct: then each pair is
    /// found once for all steps, and no step can hold a duplicate.
    private func vectorOperation(
        _ op: BinaryOperator, _ lhs: [StepSeries], _ rhs: [StepSeries], _ matching: VectorMatching
    ) -> StepValue? {
        guard ![.and, .or, .unless].contains(op), matching.cardinality == .oneToOne, matching.include.isEmpty else {
            return nil
        }
        var partners: [Fingerprint: Int] = [:]
        for (index, item) in rhs.enumerated() {
            guard partners.updateValue(index, forKey: Evaluation.signatureKey(item.labels, matching)) == nil else {
                return nil
            }
        }
        var pairs: [(left: Int, right: Int)] = []
        var matched: Set<Fingerprint> = []
        for (index, item) in lhs.enumerated() {
            let key = Evaluation.signatureKey(item.labels, matching)
            guard matched.insert(key).inserted else { return nil }
            if let partner = partners[key] { pairs.append((index, partner)) }
        }
        let labels = pairs.map { resultLabels(lhs[$0.left].labels, Labels(), op, matching) }
        guard Evaluation.distinct(labels) else { return nil }
        var result: [StepSeries] = []
        result.reserveCapacity(pairs.count)
        for (pair, labels) in zip(pairs, labels) {
            let (left, right) = (lhs[pair.left].values, rhs[pair.right].values)
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

    private static func distinct(_ labels: [Labels]) -> Bool {
        var seen: Set<Fingerprint> = []
        seen.reserveCapacity(labels.count)
        return labels.allSatisfy { seen.insert($0.fingerprint).inserted }
    }
}
