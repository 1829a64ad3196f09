import IOCCore

/// The window of time each selector must be loaded for, and the times `@` names.
extension Evaluation {
    /// Widens each selector's window to what evaluating `expression` at every time in
    /// `start...end` reads.
    static func collect(
        _ expression: Expression, from start: Int64, through end: Int64, engine: Engine, query: (Int64, Int64),
        windows: inout [(Int64, Int64)?], selectors: inout [VectorSelector?]
    ) {
        func widen(_ selector: VectorSelector, back: Int64) {
            let low = start - selector.offset - back
            let high = end - selector.offset
            let current = windows[selector.index]
            windows[selector.index] = (min(current?.0 ?? low, low), max(current?.1 ?? high, high))
            selectors[selector.index] = selector
        }
        func inner(_ expression: Expression, from start: Int64, through end: Int64) {
            collect(
                expression, from: start, through: end, engine: engine, query: query, windows: &windows,
                selectors: &selectors)
        }
        switch expression {
        case .number, .string: break
        case .vector(let selector): widen(selector, back: engine.lookback)
        case .matrix(let selector, let range): widen(selector, back: range)
        case .subquery(let expression, let range, _, let offset):
            inner(expression, from: start - offset - range, through: end - offset)
        case .pinned(let expression, let pinned):
            let time = Evaluation.resolve(pinned, query: query)
            inner(expression, from: time, through: time)
        case .parenthesis(let expression), .negation(let expression): inner(expression, from: start, through: end)
        case .binary(_, let left, let right, _):
            inner(left, from: start, through: end)
            inner(right, from: start, through: end)
        case .aggregation(_, let expression, let parameter, _):
            inner(expression, from: start, through: end)
            if let parameter { inner(parameter, from: start, through: end) }
        case .call(_, let arguments):
            for argument in arguments { inner(argument, from: start, through: end) }
        }
    }

    /// The time an `@` modifier names, for a query from `query.0` through `query.1`.
    static func resolve(_ time: PinnedTime, query: (Int64, Int64)) -> Int64 {
        switch time {
        case .time(let milliseconds): milliseconds
        case .start: query.0
        case .end: query.1
        }
    }

    func resolve(_ time: PinnedTime) -> Int64 { Evaluation.resolve(time, query: (start, end)) }
}

extension Evaluation {
    /// What a selector reads: its matchers (after any lent by the other side of an operator), the
    /// window, and whether it is a range's (whose series also keep their labels without the name).
    struct Selection: Hashable {
        let matchers: [LabelMatcher]
        let start: Int64
        let end: Int64
        let ranged: Bool

        init(matchers: [LabelMatcher], window: (Int64, Int64), ranged: Bool) {
            self.matchers = matchers
            (start, end) = window
            self.ranged = ranged
        }
    }
}
