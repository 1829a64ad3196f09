import Foundation

/// A condition on a JSON response: a path, an operator and a value, e.g. `$.status == "UP"` or
/// `$.queue.length < 100`. Paths are a JSONPath subset: `$`, `.name`, `['name']`, `[index]`.
public struct JSONCondition: Sendable, Equatable, CustomStringConvertible {
    public enum Operator: String, Sendable, CaseIterable {
        case equal = "=="
        case notEqual = "!="
        case lessOrEqual = "<="
        case greaterOrEqual = ">="
        case less = "<"
        case greater = ">"
    }

    /// A JSON scalar to compare against.
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null

        public var description: String {
            switch self {
            case .string(let text): "\"\(text)\""
            case .number(let number):
                number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
            case .bool(let flag): String(flag)
            case .null: "null"
            }
        }
    }

    public let path: JSONPath
    public let op: Operator
    public let value: Value
    public let description: String

    /// Parses `PATH OP VALUE`; the message of a thrown error says what was expected.
    public init(parsing text: String) throws(JSONConditionError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("$") else {
            throw JSONConditionError("a JSON condition starts with '$', e.g. $.status == \"UP\"")
        }
        // The operator is the first one found outside the path's brackets and quotes.
        var found: (Operator, Range<String.Index>)?
        var depth = 0
        var quote: Character?
        var index = trimmed.startIndex
        search: while index < trimmed.endIndex {
            let character = trimmed[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "[" {
                depth += 1
            } else if character == "]" {
                depth -= 1
            } else if depth == 0 {
                for candidate in Operator.allCases where trimmed[index...].hasPrefix(candidate.rawValue) {
                    found = (candidate, index..<trimmed.index(index, offsetBy: candidate.rawValue.count))
                    break search
                }
            }
            index = trimmed.index(after: index)
        }
        guard let (op, range) = found else {
            throw JSONConditionError("expected an operator (==, !=, <, <=, >, >=) after the path in '\(text)'")
        }
        let path = try JSONPath(parsing: String(trimmed[..<range.lowerBound]).trimmingCharacters(in: .whitespaces))
        guard !path.hasWildcard else {
            throw JSONConditionError("a condition needs one value: '[*]' is for feed mappings")
        }
        self.path = path
        self.op = op
        self.value = try JSONCondition.parseValue(
            String(trimmed[range.upperBound...]).trimmingCharacters(in: .whitespaces))
        if (op != .equal && op != .notEqual), case .number = value {
        } else if op != .equal && op != .notEqual {
            throw JSONConditionError("'\(op.rawValue)' compares numbers; '\(value)' is not a number")
        }
        self.description = trimmed
    }

    private static func parseValue(_ text: String) throws(JSONConditionError) -> Value {
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default: break
        }
        if let number = Double(text), number.isFinite { return .number(number) }
        // Double quotes are a JSON string, with JSON's escapes; single quotes are taken literally.
        if text.count >= 2, text.first == "\"", text.last == "\"",
            let decoded = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
                as? String
        {
            return .string(decoded)
        }
        if text.count >= 2, text.first == "'", text.last == "'" {
            return .string(String(text.dropFirst().dropLast()))
        }
        throw JSONConditionError("'\(text)' is not a value; expected a quoted string, a number, true, false or null")
    }

    /// Whether the condition holds for a parsed JSON document, and if not, what was found instead.
    public func evaluate(_ document: Any) -> (holds: Bool, found: String) {
        guard let node = path.select(in: document).first else { return (false, "nothing at that path") }
        let actual: Value
        switch node {
        case let text as String: actual = .string(text)
        // JSONSerialization returns booleans as NSNumbers of C type `char` (numbers are `int`, `long long` or
        // `double`), which tells `true` apart from 1.
        case let number as NSNumber where String(cString: number.objCType) == "c":
            actual = .bool(number.boolValue)
        case let number as NSNumber: actual = .number(number.doubleValue)
        case is NSNull: actual = .null
        default: return (false, "an object or array, not a value")
        }
        let holds: Bool
        switch (op, actual, value) {
        case (.equal, _, _): holds = actual == value
        case (.notEqual, _, _): holds = actual != value
        case (.less, .number(let a), .number(let b)): holds = a < b
        case (.lessOrEqual, .number(let a), .number(let b)): holds = a <= b
        case (.greater, .number(let a), .number(let b)): holds = a > b
        case (.greaterOrEqual, .number(let a), .number(let b)): holds = a >= b
        default: holds = false
        }
        return (holds, actual.description)
    }
}

public struct JSONConditionError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
