public import IOCCore

/// An instant-vector selector: `metric{label="value", other=~"re.*"}`.
public struct Selector: Sendable, Equatable, CustomStringConvertible {
    /// All matchers, the metric name included as a `__name__` equality matcher.
    public var matchers: [LabelMatcher]

    public init(matchers: [LabelMatcher]) { self.matchers = matchers }

    /// Parses a selector with the PromQL parser; anything but a plain selector is refused.
    public init(parsing text: String) throws(QueryError) {
        let query = try Query(parsing: text)
        guard case .vector(let selector) = query.expression, selector.offset == 0 else {
            throw QueryError(query: text, position: 0, "expected a selector such as up{job=\"a\"}, not an expression")
        }
        self.init(matchers: selector.matchers)
    }

    public var description: String {
        let name = matchers.first { $0.name == Labels.metricName && $0.op == .equal }?.value
        let rest = matchers.filter { !($0.name == Labels.metricName && $0.op == .equal && $0.value == name) }
        if rest.isEmpty, let name { return name }
        return (name ?? "") + "{" + rest.map(\.description).joined(separator: ", ") + "}"
    }
}

extension Selector {
    /// The `matchers` of a configuration (routes, inhibitions, maintenance windows, silences):
    /// a list of texts like `severity="critical"` or `province=~"Hà Nội|Huế"`, in PromQL's syntax.
    public static func matchers(in node: ConfigNode?) throws(ConfigError) -> [LabelMatcher] {
        var result: [LabelMatcher] = []
        for item in try node?.sequence(of: "'matchers'") ?? [] {
            let text = try item.string("a matcher")
            do {
                result += try Selector(parsing: "{" + text + "}").matchers
            } catch {
                throw item.error("'\(text)' is not a matcher like severity=\"critical\": \(error)")
            }
        }
        return result
    }
}

extension Selector {
    /// The matchers of a selector written as text (`{severity="critical"}`, `up{job="x"}`); nil when
    /// it does not parse. What the store's silences are read with.
    public static func matchers(parsing text: String) -> [LabelMatcher]? { try? Selector(parsing: text).matchers }
}
