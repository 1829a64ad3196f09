public import IOCCore

/// An instant-vector selector: `metric{label="value", other=~"re.*"}`.
public struct Selector: Sendable, Equatable, CustomStringConvertible {
    /// All matchers, the metric name included as a `__name__` equality matcher.
    public var matchers: [LabelMatcher]

    public init(matchers: [LabelMatcher]) { self.matchers = matchers }

    /// Parses a selector; errors name the position and what was expected.
    public init(parsing text: String) throws(QueryError) {
        var parser = SelectorParser(text)
        self = try parser.parseSelector()
    }

    public var description: String {
        let name = matchers.first { $0.name == Labels.metricName && $0.op == .equal }?.value
        let rest = matchers.filter { !($0.name == Labels.metricName && $0.op == .equal && $0.value == name) }
        if rest.isEmpty, let name { return name }
        return (name ?? "") + "{" + rest.map(\.description).joined(separator: ", ") + "}"
    }
}

/// A hand-written recursive-descent parser over the characters of a query.
struct SelectorParser {
    private let text: String
    private let characters: [Character]
    private var position = 0

    init(_ text: String) {
        self.text = text
        self.characters = Array(text)
    }

    mutating func parseSelector() throws(QueryError) -> Selector {
        skipSpace()
        var matchers: [LabelMatcher] = []
        if let name = identifier(allowColon: true) {
            matchers.append(try matcher(Labels.metricName, .equal, name, at: position))
        }
        skipSpace()
        if peek == "{" {
            position += 1
            matchers += try matcherList()
        }
        skipSpace()
        guard position == characters.count else {
            throw error(
                matchers.isEmpty
                    ? "expected a metric name or '{'" : "unexpected '\(characters[position])' after the selector")
        }
        guard !matchers.isEmpty else { throw error("expected a metric name or '{'") }
        guard matchers.contains(where: { !$0.matchesEmpty }) else {
            throw QueryError(
                query: text, position: 0,
                "a selector must contain at least one matcher that does not match the empty string, e.g. job=\"x\"")
        }
        return Selector(matchers: matchers)
    }

    private mutating func matcherList() throws(QueryError) -> [LabelMatcher] {
        var matchers: [LabelMatcher] = []
        while true {
            skipSpace()
            if peek == "}" {
                position += 1
                return matchers
            }
            guard let name = identifier(allowColon: false) else {
                throw error(peek == nil ? "unclosed '{': expected a label name or '}'" : "expected a label name")
            }
            skipSpace()
            guard let op = labelOperator() else {
                throw error("expected '=', '!=', '=~' or '!~' after label name '\(name)'")
            }
            skipSpace()
            let valueStart = position
            let value = try stringLiteral()
            matchers.append(try matcher(name, op, value, at: valueStart))
            skipSpace()
            if peek == "," {
                position += 1
            } else if peek != "}" {
                throw error(peek == nil ? "unclosed '{': expected ',' or '}'" : "expected ',' or '}' after a matcher")
            }
        }
    }

    private func matcher(_ name: String, _ op: LabelMatcher.Operator, _ value: String, at offset: Int)
        throws(QueryError)
        -> LabelMatcher
    {
        do {
            return try LabelMatcher(name, op, value)
        } catch {
            throw QueryError(query: text, position: offset, "\(error)")
        }
    }

    private var peek: Character? { position < characters.count ? characters[position] : nil }

    private mutating func skipSpace() {
        while let character = peek, character.isWhitespace { position += 1 }
    }

    private mutating func identifier(allowColon: Bool) -> String? {
        let start = position
        while let character = peek, character.isASCII,
            character.isLetter || character == "_" || (allowColon && character == ":")
                || (position > start && character.isNumber)
        {
            position += 1
        }
        return position > start ? String(characters[start..<position]) : nil
    }

    private mutating func labelOperator() -> LabelMatcher.Operator? {
        let next = position + 1 < characters.count ? characters[position + 1] : nil
        switch (peek, next) {
        case ("=", "~"): position += 2; return .matchesRegex
        case ("!", "="): position += 2; return .notEqual
        case ("!", "~"): position += 2; return .doesNotMatchRegex
        case ("=", _): position += 1; return .equal
        default: return nil
        }
    }

    /// A string in double quotes, single quotes or backticks, with Go's escapes (none in backticks).
    private mutating func stringLiteral() throws(QueryError) -> String {
        guard let quote = peek, quote == "\"" || quote == "'" || quote == "`" else {
            throw error("expected a quoted string")
        }
        let start = position
        position += 1
        var value = ""
        while let character = peek {
            position += 1
            if character == quote { return value }
            if character == "\\" && quote != "`" {
                guard let escaped = peek else { break }
                position += 1
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                case "\\", "\"", "'": value.append(escaped)
                default:
                    throw QueryError(query: text, position: position - 2, "unknown escape sequence '\\\(escaped)'")
                }
            } else {
                value.append(character)
            }
        }
        throw QueryError(query: text, position: start, "unterminated string")
    }

    private func error(_ message: String) -> QueryError {
        QueryError(query: text, position: position, message)
    }
}
