import Foundation

/// A condition on one label, as in a PromQL selector: `name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`.
/// A missing label matches as the empty string, as in Prometheus.
public struct LabelMatcher: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Sendable, Hashable {
        case equal = "="
        case notEqual = "!="
        case matchesRegex = "=~"
        case doesNotMatchRegex = "!~"
    }

    public let name: String
    public let op: Operator
    public let value: String
    private let regex: AnchoredRegex?

    /// Builds a matcher; regular expressions are anchored at both ends, as PromQL's are.
    /// Throws `LabelMatcher.InvalidRegex` for a pattern that does not compile.
    public init(_ name: String, _ op: Operator, _ value: String) throws {
        self.name = name
        self.op = op
        self.value = value
        switch op {
        case .equal, .notEqual: regex = nil
        case .matchesRegex, .doesNotMatchRegex: regex = try AnchoredRegex(value)
        }
    }

    /// A matcher as Alertmanager's API writes it: a name, a value, `isRegex` and `isEqual`.
    public init(alertmanager name: String, value: String, isRegex: Bool, isEqual: Bool) throws {
        let op: Operator = isRegex ? (isEqual ? .matchesRegex : .doesNotMatchRegex) : (isEqual ? .equal : .notEqual)
        try self.init(name, op, value)
    }

    /// Alertmanager's `isRegex` and `isEqual` of this matcher.
    public var isRegex: Bool { op == .matchesRegex || op == .doesNotMatchRegex }
    public var isEqual: Bool { op == .equal || op == .matchesRegex }

    public func matches(_ labelValue: String?) -> Bool {
        let text = labelValue ?? ""
        switch op {
        // Bytes, as Prometheus compares (see `ExactText`).
        case .equal: return ExactText.equal(text, value)
        case .notEqual: return !ExactText.equal(text, value)
        case .matchesRegex: return regex?.matches(text) ?? false
        case .doesNotMatchRegex: return !(regex?.matches(text) ?? false)
        }
    }

    public func matches(_ labels: Labels) -> Bool { matches(labels[name]) }

    /// Whether the matcher also matches series that lack the label entirely.
    public var matchesEmpty: Bool { matches(nil as String?) }

    public var description: String { "\(Labels.exposedName(name))\(op.rawValue)\(LabelMatcher.quote(value))" }

    /// `value` as a PromQL string literal that reads back as the same value, whatever it holds:
    /// quotes, backslashes and every control character escaped (`\r`, `\u001b`).
    public static func quote(_ value: String) -> String { ControlCharacters.quoted(value) }

    /// `name=value` with the value in quotes when it has none, as Alertmanager's matchers and the
    /// command line write them (`province=Huế`, `alertname=PortalDown`); a quoted value is left as
    /// it is. The result reads as a PromQL matcher.
    public static func quotingValue(_ matcher: String) -> String {
        for op in ["=~", "!~", "!=", "="] {
            guard let range = matcher.range(of: op) else { continue }
            let name = matcher[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            let value = matcher[range.upperBound...].trimmingCharacters(in: .whitespaces)
            if value.first == "\"" || value.first == "'" || value.first == "`" { return matcher }
            return name + op + quote(value)
        }
        return matcher
    }

    /// By bytes: a selection cached for `p="Huế"` composed is not the answer for it decomposed.
    public static func == (lhs: LabelMatcher, rhs: LabelMatcher) -> Bool {
        ExactText.equal(lhs.name, rhs.name) && lhs.op == rhs.op && ExactText.equal(lhs.value, rhs.value)
    }

    public func hash(into hasher: inout Hasher) {
        ExactText.hash(name, into: &hasher)
        hasher.combine(op)
        ExactText.hash(value, into: &hasher)
    }

    /// A regular expression in a matcher that does not compile.
    public struct InvalidRegex: Error, CustomStringConvertible {
        public let pattern: String
        public let reason: String
        public var description: String { "invalid regular expression \"\(pattern)\": \(reason)" }
    }
}

/// A compiled, fully anchored regular expression, matched in linear time (RE2).
struct AnchoredRegex: Sendable {
    private let expression: LinearRegex

    init(_ pattern: String) throws {
        do {
            expression = try LinearRegex(pattern, anchored: true)
        } catch {
            throw LabelMatcher.InvalidRegex(pattern: pattern, reason: error.reason)
        }
    }

    func matches(_ text: String) -> Bool { expression.matchesWhole(text) }
}

/// A source of stored series: the store implements it, and so can a remote Prometheus-compatible API.
public protocol SeriesSource {
    /// Series matching all `matchers`, each with its samples in the closed range `start...end` (ms).
    func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series]

    /// The same, throwing `SampleLimitExceeded` once more than `limit` samples are loaded. A source
    /// that can stop early (the store loads a few series at a time) does, so that a selection over
    /// millions of series and months never sits in memory whole before the limit is seen.
    func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int) throws -> [Series]

    /// The same, keeping only the series whose labels `keep` accepts (the query engine knows that
    /// the others cannot change its answer). A source that reads labels before samples loads no
    /// samples for the others, and does not count them against `limit`.
    func select(
        _ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int, keeping keep: (Labels) -> Bool
    ) throws -> [Series]

    /// The same with a limit, for a selection read at `end` alone (an instant selector of an instant
    /// query, or one pinned with `@`): only each series' newest sample counts, so a source may leave
    /// out any older one. Rules read what earlier rules of their group recorded this way, and the
    /// layer holding those skips the store's samples of every series it holds at `end`.
    func selectNewest(_ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int) throws
        -> [Series]
}

extension SeriesSource {
    public func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int) throws
        -> [Series]
    {
        let series = try select(matchers, from: start, through: end)
        let loaded = series.reduce(0) { $0 + $1.samples.count }
        guard loaded <= limit else { throw SampleLimitExceeded(loaded: loaded) }
        return series
    }

    public func select(
        _ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int, keeping keep: (Labels) -> Bool
    ) throws -> [Series] {
        try select(matchers, from: start, through: end, limit: limit).filter { keep($0.labels) }
    }

    public func selectNewest(_ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int) throws
        -> [Series]
    {
        try select(matchers, from: start, through: end, limit: limit)
    }
}

/// A selection would load more samples than it may.
public struct SampleLimitExceeded: Error, Sendable {
    /// How many had been loaded when the source stopped.
    public let loaded: Int

    public init(loaded: Int) { self.loaded = loaded }
}
