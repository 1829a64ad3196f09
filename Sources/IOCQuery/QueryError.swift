import Foundation

/// A query the engine cannot run: a syntax error with its position, or a failure while evaluating.
public struct QueryError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as Prometheus' API names it in `errorType`.
    public enum Kind: String, Sendable {
        case badData = "bad_data"
        case execution
        case timeout
        case canceled
    }

    public var kind: Kind = .badData
    public var query: String
    /// Offset of the problem in characters from the start of the query; nil for evaluation errors.
    public var position: Int?
    public var message: String

    public init(query: String, position: Int?, _ message: String, kind: Kind = .badData) {
        self.kind = kind
        self.query = query
        self.position = position
        self.message = message
    }

    /// A syntax error at a byte of the query's UTF-8 (where the lexer counts), reported at the
    /// character it falls in.
    init(query: String, byteOffset: Int, _ message: String) {
        let prefix = query.utf8.prefix(max(0, byteOffset))
        self.init(query: query, position: String(decoding: prefix, as: UTF8.self).count, message)
    }

    /// The message, and for syntax errors the query with a caret under the problem.
    public var description: String {
        guard let position else { return message }
        let line = query.replacingControlCharacters()
        return
            "parse error at character \(position + 1): \(message)\n  \(line)\n  \(String(repeating: " ", count: position))^"
    }
}

extension String {
    /// The query as one line: control characters (a pasted newline, a tab) shown as spaces.
    fileprivate func replacingControlCharacters() -> String {
        String(map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}

extension QueryError {
    /// A number in Prometheus' messages as Go's `%f` prints it: six decimals, `+Inf`, `-Inf`, `NaN`.
    static func goFixed(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return String(format: "%f", value)
    }
}
