import Foundation
import IOCCore

/// Fields and methods: `.Alerts.Firing`, `.CommonLabels.Remove (stringSlice "x")`,
/// `.StartsAt.Format "15:04"`, `.Labels.province`, as Go's templates resolve them on Alertmanager's
/// and Prometheus' data.
extension TemplateContext {
    /// `.a.b.c` of a value; `arguments` go to the last element, which must then be a method.
    static func select(_ fields: [String], in value: TemplateValue, arguments: [TemplateValue] = [])
        throws(TemplateError) -> TemplateValue
    {
        var current = value
        for (index, field) in fields.enumerated() {
            let last = index == fields.count - 1
            current = try member(field, of: current, arguments: last ? arguments : [])
        }
        if fields.isEmpty && !arguments.isEmpty {
            throw TemplateError("can't give argument to non-function \(value.printed.prefix(64))")
        }
        return current
    }

    private static func member(_ name: String, of value: TemplateValue, arguments: [TemplateValue])
        throws(TemplateError) -> TemplateValue
    {
        if let result = try method(name, of: value, arguments: arguments) { return result }
        guard arguments.isEmpty else {
            throw TemplateError("\(name) has arguments but cannot be invoked as a function")
        }
        switch value {
        case .map(let map), .kv(let map):
            // Go's `missingkey=zero`, which Prometheus and Alertmanager set: a missing label is "".
            return .string(map[name] ?? "")
        case .record(let type, let fields):
            guard let field = fields.first(where: { $0.name == name }) else {
                throw TemplateError("can't evaluate field \(name) in type \(type)")
            }
            return field.value
        case .none:
            throw TemplateError("nil pointer evaluating \(value.goTypeName).\(name)")
        default:
            throw TemplateError("can't evaluate field \(name) in type \(value.goTypeName)")
        }
    }

    /// The methods of Alertmanager's types and of `time.Time`; nil where the value has none by that name.
    private static func method(_ name: String, of value: TemplateValue, arguments: [TemplateValue])
        throws(TemplateError) -> TemplateValue?
    {
        func want(_ count: Int) throws(TemplateError) {
            guard arguments.count == count else {
                throw TemplateError("wrong number of args for \(name): want \(count) got \(arguments.count)")
            }
        }
        switch (value, name) {
        case (.kv(let map), "SortedPairs"):
            try want(0)
            return pairs(TemplateValue.sortedPairs(map))
        case (.kv(let map), "Names"):
            try want(0)
            return .strings(TemplateValue.sortedPairs(map).map(\.0))
        case (.kv(let map), "Values"):
            try want(0)
            return .strings(TemplateValue.sortedPairs(map).map(\.1))
        case (.kv(let map), "Remove"):
            try want(1)
            let names = Set(try strings(arguments[0], for: "Remove"))
            return .kv(map.filter { !names.contains($0.key) })
        case (.list(let items, .pairs), "Names"), (.list(let items, .pairs), "Values"):
            try want(0)
            return .strings(
                items.map { pair in
                    guard case .record(_, let fields) = pair, fields.count == 2 else { return "" }
                    return TemplateContext.text(fields[name == "Names" ? 0 : 1].value)
                })
        case (.list(let items, .strings), "Join"):
            try want(1)
            return .string(items.map(TemplateContext.text).joined(separator: TemplateContext.text(arguments[0])))
        case (.list(let items, .alerts), "Firing"), (.list(let items, .alerts), "Resolved"):
            try want(0)
            let status = name == "Firing" ? "firing" : "resolved"
            return .list(
                items.filter { alert in
                    guard case .record(_, let fields) = alert else { return false }
                    return fields.first { $0.name == "Status" }?.value == .string(status)
                }, kind: .plain)
        case (.time(let time), _):
            return try timeMethod(name, time, arguments)
        default:
            return nil
        }
    }

    private static func timeMethod(_ name: String, _ time: TemplateTime, _ arguments: [TemplateValue])
        throws(TemplateError) -> TemplateValue?
    {
        let civil = GoTime.civil(time)
        switch name {
        case "String": return .string(time.goString)
        case "Format":
            guard arguments.count == 1 else { throw TemplateError("wrong number of args for Format: want 1") }
            return .string(GoTime.format(time, layout: text(arguments[0])))
        case "Unix": return .integer(time.milliseconds.floorSeconds)
        case "UnixMilli": return .integer(time.milliseconds)
        case "UTC": return .time(.utc(time.milliseconds))
        case "IsZero": return .bool(time.isZero)
        case "Year": return .integer(Int64(civil.year))
        case "Month": return .integer(Int64(civil.month))
        case "Day": return .integer(Int64(civil.day))
        case "Hour": return .integer(Int64(civil.hour))
        case "Minute": return .integer(Int64(civil.minute))
        default: return nil
        }
    }

    static func pairs(_ pairs: [(String, String)]) -> TemplateValue {
        .list(
            pairs.map {
                .record(
                    type: "template.Pair",
                    fields: [
                        TemplateField(name: "Name", value: .string($0.0)),
                        TemplateField(name: "Value", value: .string($0.1)),
                    ])
            }, kind: .pairs)
    }

    /// A `[]string` argument: a list's items as text.
    static func strings(_ value: TemplateValue, for function: String) throws(TemplateError) -> [String] {
        switch value {
        case .list(let items, _): return items.map(text)
        case .none: return []
        default:
            throw TemplateError(
                "error calling \(function): wrong type for value; expected []string; got \(value.goTypeName)")
        }
    }
}

extension Int64 {
    /// Whole seconds of milliseconds, rounded down (Go's `Unix` of a time before 1970 too).
    fileprivate var floorSeconds: Int64 { self / 1000 - (self % 1000 < 0 ? 1 : 0) }
}

/// `toJson`: Go's `json.Marshal` of a template value (keys sorted, `<`, `>` and `&` escaped, times
/// in RFC 3339), so that a webhook body template can place any text safely in a JSON string.
enum TemplateJSON {
    static func encode(_ value: TemplateValue) -> String {
        switch value {
        case .string(let text), .html(let text): return quoted(text)
        case .number(let number): return number.isFinite ? GoFormat.shortest(number) : "null"
        case .integer(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .map(let map), .kv(let map):
            return "{"
                + map.sorted { $0.key < $1.key }.map { quoted($0.key) + ":" + quoted($0.value) }
                .joined(separator: ",") + "}"
        case .list(let items, _): return "[" + items.map(encode).joined(separator: ",") + "]"
        case .record(_, let fields):
            return "{" + fields.map { quoted($0.name) + ":" + encode($0.value) }.joined(separator: ",") + "}"
        case .time(let time): return quoted(GoTime.format(time, layout: "2006-01-02T15:04:05.999999999Z07:00"))
        case .none: return "null"
        }
    }

    /// Go's JSON string: control characters, `<`, `>`, `&` and the line and paragraph separators
    /// as `\u003c`-style escapes, as `json.Marshal` writes them.
    static func quoted(_ text: String) -> String {
        ControlCharacters.quoted(
            text, escaping: { $0.value < 0x20 || "<>&\u{2028}\u{2029}".unicodeScalars.contains($0) })
    }
}
