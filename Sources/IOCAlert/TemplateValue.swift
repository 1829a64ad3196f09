import Foundation
import IOCCore

/// A value inside a template: what Go's `text/template` sees of Prometheus' and Alertmanager's data.
indirect enum TemplateValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    /// Go's `int`: what `len`, `index` of a list, a `range`'s index and `.Unix` give.
    case integer(Int64)
    case bool(Bool)
    /// Prometheus' `map[string]string` (`$labels`): a missing key is "".
    case map([String: String])
    /// Alertmanager's `KV`: a map with `SortedPairs`, `Names`, `Values` and `Remove`.
    case kv([String: String])
    case list([TemplateValue], kind: ListKind)
    /// A struct (`Data`, `Alert`, `Pair`): named fields, printed in their order.
    case record(type: String, fields: [TemplateField])
    case time(TemplateTime)
    /// Text that `safeHtml` marked as markup: an HTML template prints it as it is.
    case html(String)
    case none

    /// The Go type behind a list, which decides its methods.
    enum ListKind: Sendable, Equatable {
        /// `[]interface{}` (`stringSlice` gives `Strings`).
        case plain
        /// Alertmanager's `Strings`: `Join`.
        case strings
        /// Alertmanager's `Pairs`: `Names`, `Values`.
        case pairs
        /// Alertmanager's `Alerts`: `Firing`, `Resolved`.
        case alerts
    }

    static func strings(_ values: [String]) -> TemplateValue { .list(values.map(TemplateValue.string), kind: .strings) }

    /// As `{{ . }}` prints it (Go's `fmt.Fprint`).
    var printed: String {
        switch self {
        case .string(let text), .html(let text): text
        case .number(let number): GoFormat.shortest(number)
        case .integer(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        // As Alertmanager 0.25 prints them: `KV` and `Pairs` have no `String` method there yet.
        case .map(let map), .kv(let map):
            "map[" + map.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ") + "]"
        case .list(let items, _): "[" + items.map(\.printed).joined(separator: " ") + "]"
        case .record(_, let fields): "{" + fields.map(\.value.printed).joined(separator: " ") + "}"
        case .time(let time): time.goString
        case .none: "<no value>"
        }
    }

    /// Go's notion of truth for `if`, `with`, `and`, `or`, `not`: false, 0, "", an empty map or
    /// list and nothing are false; a struct or a time is true.
    var isTrue: Bool {
        switch self {
        case .string(let text), .html(let text): !text.isEmpty
        case .number(let number): number != 0
        case .integer(let number): number != 0
        case .bool(let flag): flag
        case .map(let map), .kv(let map): !map.isEmpty
        case .list(let items, _): !items.isEmpty
        case .record, .time: true
        case .none: false
        }
    }

    var goTypeName: String {
        switch self {
        case .string: "string"
        case .html: "template.HTML"
        case .number: "float64"
        case .integer: "int"
        case .bool: "bool"
        case .map: "map[string]string"
        case .kv: "template.KV"
        case .list(_, .strings): "template.Strings"
        case .list(_, .pairs): "template.Pairs"
        case .list(_, .alerts): "template.Alerts"
        case .list: "[]interface {}"
        case .record(let type, _): type
        case .time: "time.Time"
        case .none: "<nil>"
        }
    }

    /// Alertmanager's order of a label set's pairs: `alertname` first, then by name.
    static func sortedPairs(_ map: [String: String]) -> [(String, String)] {
        map.sorted { a, b in
            if a.key == "alertname" || b.key == "alertname" { return a.key == "alertname" && b.key != "alertname" }
            return a.key < b.key
        }.map { ($0.key, $0.value) }
    }
}

/// One field of a record.
struct TemplateField: Sendable, Equatable {
    var name: String
    var value: TemplateValue
}

/// A `time.Time`: an instant and the zone it is shown in.
struct TemplateTime: Sendable, Equatable {
    var milliseconds: Int64
    var offsetSeconds: Int
    var zoneName: String

    static func utc(_ milliseconds: Int64) -> TemplateTime {
        TemplateTime(milliseconds: milliseconds, offsetSeconds: 0, zoneName: "UTC")
    }

    /// Go's zero time, which Alertmanager gives a firing alert's `EndsAt`.
    static let zero = TemplateTime.utc(-62_135_596_800_000)

    var isZero: Bool { self == TemplateTime.zero }

    /// Go's `Time.String`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    var goString: String { GoTime.format(self, layout: "2006-01-02 15:04:05.999999999 -0700 MST") }
}
