/// A JSONPath subset: `$`, `.name`, `['name']`, `[index]` and `[*]` (every element of an array, or
/// every value of an object).
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public enum Step: Sendable, Equatable {
        case key(String)
        case index(Int)
        case wildcard
    }

    public let steps: [Step]
    public let description: String

    public init(parsing text: String) throws(JSONConditionError) {
        guard text.hasPrefix("$") else { throw JSONConditionError("a JSON path starts with '$', e.g. $.items[*].name") }
        var steps: [Step] = []
        var rest = Substring(text.dropFirst())
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" && $0 != " " }
                guard !name.isEmpty else { throw JSONConditionError("empty name after '.' in the path '\(text)'") }
                steps.append(name == "*" ? .wildcard : .key(String(name)))
                rest = rest.dropFirst(name.count)
            } else if rest.hasPrefix("[*]") {
                steps.append(.wildcard)
                rest = rest.dropFirst(3)
            } else if rest.hasPrefix("['") || rest.hasPrefix("[\"") {
                let quote = rest.dropFirst().first ?? "'"
                let body = rest.dropFirst(2)
                guard let end = body.firstIndex(of: quote), body[body.index(after: end)...].hasPrefix("]") else {
                    throw JSONConditionError("unclosed ['name'] in the path '\(text)'")
                }
                steps.append(.key(String(body[..<end])))
                rest = body[body.index(end, offsetBy: 2)...]
            } else if rest.hasPrefix("[") {
                guard let end = rest.firstIndex(of: "]"),
                    let number = Int(rest[rest.index(after: rest.startIndex)..<end]),
                    number >= 0
                else { throw JSONConditionError("expected [index], [*] or ['name'] in the path '\(text)'") }
                steps.append(.index(number))
                rest = rest[rest.index(after: end)...]
            } else {
                throw JSONConditionError(
                    "unexpected '\(rest.prefix(1))' in the path '\(text)'; expected '.name' or '[...]'")
            }
        }
        self.steps = steps
        self.description = text
    }

    public var hasWildcard: Bool { steps.contains(.wildcard) }

    /// Every node the path reaches in a document parsed by JSONSerialization, in document order
    /// (object values under a wildcard in key order).
    public func select(in document: Any) -> [Any] {
        var nodes: [Any] = [document]
        for step in steps {
            var next: [Any] = []
            for node in nodes {
                switch (step, node) {
                case (.key(let key), let object as [String: Any]):
                    if let value = object[key] { next.append(value) }
                case (.index(let index), let array as [Any]):
                    if index < array.count { next.append(array[index]) }
                case (.wildcard, let array as [Any]):
                    next += array
                case (.wildcard, let object as [String: Any]):
                    next += object.keys.sorted().compactMap { object[$0] }
                default:
                    break
                }
            }
            nodes = next
        }
        return nodes
    }
}
