import IOCCore

/// Matchers one side of a binary operator lends the other before anything is loaded. A series
/// matches a partner only if the two agree on every label of the match, so a matcher of one side
/// on such a label holds for the partners on the other: `x{province="p07"} and x{service="dvc"}`
/// loads p07's dvc series on both sides, `rate(x{service="dvc"}[5m]) / rate(x[5m])` only dvc's on
/// the right. The answer cannot change; neither may an error Prometheus reports, so a matcher is
/// lent only where the series it leaves out could not have made one:
/// - both ways for `and`, from the left for `unless`, never for `or`;
/// - for arithmetic and comparisons, to the "many" side (the left, or the right with
///   `group_right`), whose unmatched series are dropped without a check; to the "one" side only
///   when the match is on all labels (no `on`, no `ignoring`), where its signatures are its series'
///   own label sets and cannot repeat;
/// - only into a side that is one selector of one metric name (`__name__="x"`, so dropping names
///   cannot make two series alike), through what keeps its labels (range functions, functions of
///   each value, a comparison or arithmetic with a number).
extension Evaluation {
    /// Lends between the sides of `node`, if it is such an operator (the engine calls it for every
    /// node of the query as it walks the tree before loading).
    static func lendMatchers(of node: Expression, to selectors: inout [VectorSelector?]) {
        guard case .binary(let op, let left, let right, let matching) = node, op != .or,
            let leftSelector = labelKeepingSelector(left), let rightSelector = labelKeepingSelector(right)
        else { return }
        let allLabels = !matching.on && matching.labels.isEmpty
        let toLeft: Bool
        let toRight: Bool
        switch op {
        case .and: (toLeft, toRight) = (true, true)
        case .unless: (toLeft, toRight) = (false, true)
        default:
            let leftIsMany = matching.cardinality != .oneToMany
            (toLeft, toRight) = (leftIsMany || allLabels, !leftIsMany || allLabels)
        }
        if toLeft { lend(from: rightSelector, to: leftSelector.index, matching, &selectors) }
        if toRight { lend(from: leftSelector, to: rightSelector.index, matching, &selectors) }
    }

    /// `source`'s matchers on the labels the operator matches on, added to the selector at `index`
    /// when that selector names one metric.
    private static func lend(
        from source: VectorSelector, to index: Int, _ matching: VectorMatching, _ selectors: inout [VectorSelector?]
    ) {
        guard index < selectors.count, var target = selectors[index],
            target.matchers.contains(where: { $0.name == Labels.metricName && $0.op == .equal })
        else { return }
        for matcher in source.matchers where matcher.name != Labels.metricName {
            let matched = matching.on ? matching.labels.contains(matcher.name) : !matching.labels.contains(matcher.name)
            if matched, !target.matchers.contains(matcher) { target.matchers.append(matcher) }
        }
        selectors[index] = target
    }

    /// The selector whose series' labels (the name aside) are the expression's, if it is one.
    private static func labelKeepingSelector(_ expression: Expression) -> VectorSelector? {
        switch expression {
        case .vector(let selector): return selector
        case .parenthesis(let inner), .pinned(let inner, _): return labelKeepingSelector(inner)
        case .call(let function, let arguments):
            guard let first = arguments.first,
                function.arguments == [.matrix] && function.name != "absent_over_time"
                    || valueFunctions.contains(function.name)
            else { return nil }
            if case .matrix(let selector, _) = first.withoutParentheses { return selector }
            if case .pinned(.matrix(let selector, _), _) = first.withoutParentheses { return selector }
            return function.arguments == [.matrix] ? nil : labelKeepingSelector(first)
        case .binary(let op, let left, let right, _) where ![.and, .or, .unless].contains(op):
            if case .number = right.withoutParentheses { return labelKeepingSelector(left) }
            if case .number = left.withoutParentheses { return labelKeepingSelector(right) }
            return nil
        default: return nil
        }
    }
}
