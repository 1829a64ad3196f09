import Foundation
import IOCCore

extension TemplateContext {
    static func call(_ name: String, _ arguments: [TemplateValue]) throws(TemplateError) -> TemplateValue {
        if let value = try textFunction(name, arguments) { return value }
        if let value = try alertmanagerFunction(name, arguments) { return value }
        return try logicFunction(name, arguments)
    }

    /// The functions Alertmanager adds for notifications: lists, joining, dates and zones, JSON.
    private static func alertmanagerFunction(_ name: String, _ arguments: [TemplateValue]) throws(TemplateError)
        -> TemplateValue?
    {
        func argument(_ count: Int) throws(TemplateError) { try expect(count, name, arguments) }
        switch name {
        case "join":
            try argument(2)
            return .string(try strings(arguments[1], for: name).joined(separator: text(arguments[0])))
        case "stringSlice": return .strings(arguments.map(text))
        case "list": return .list(arguments, kind: .plain)
        case "append":
            guard case .list(let items, _)? = arguments.first else {
                throw TemplateError("error calling append: the first argument is not a list")
            }
            return .list(items + arguments.dropFirst(), kind: .plain)
        case "trimSpace":
            try argument(1)
            return .string(text(arguments[0]).trimmingCharacters(in: .whitespacesAndNewlines))
        case "safeUrl":
            try argument(1)
            return .string(text(arguments[0]))
        case "urlUnescape":
            try argument(1)
            let raw = text(arguments[0]).replacingOccurrences(of: "+", with: " ")
            guard let decoded = raw.removingPercentEncoding else {
                throw TemplateError("error calling urlUnescape: invalid URL escape")
            }
            return .string(decoded)
        case "base64encode":
            try argument(1)
            return .string(
                Data(text(arguments[0]).utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_"))
        case "toJson":
            try argument(1)
            return .string(TemplateJSON.encode(arguments[0]))
        case "date":
            try argument(2)
            return .string(GoTime.format(try time(arguments[1], for: name), layout: text(arguments[0])))
        case "tz":
            try argument(2)
            let instant = try time(arguments[1], for: name)
            guard let zone = DisplayZone(identifier: text(arguments[0])) else {
                throw TemplateError("error calling tz: unknown time zone \(text(arguments[0]))")
            }
            return .time(
                TemplateTime(
                    milliseconds: instant.milliseconds, offsetSeconds: zone.offsetSeconds(at: instant.milliseconds),
                    zoneName: zone.suffix(at: instant.milliseconds)))
        case "now":
            try argument(0)
            return .time(.utc(WallClock.nowMilliseconds()))
        case "since":
            try argument(1)
            let elapsed = WallClock.nowMilliseconds() &- (try time(arguments[0], for: name)).milliseconds
            return .number(Double(elapsed) / 1000)
        default:
            return nil
        }
    }

    private static func time(_ value: TemplateValue, for function: String) throws(TemplateError) -> TemplateTime {
        guard case .time(let time) = value else {
            throw TemplateError(
                "error calling \(function): wrong type for value; expected time.Time; got \(value.goTypeName)")
        }
        return time
    }

    /// Checks that a function got `count` arguments, with Go's message.
    private static func expect(_ count: Int, _ name: String, _ arguments: [TemplateValue]) throws(TemplateError) {
        guard arguments.count == count else {
            throw TemplateError("wrong number of args for \(name): want \(count) got \(arguments.count)")
        }
    }

    /// The functions that make text: humanizing, formatting, case, escaping, regular expressions;
    /// nil for another name.
    private static func textFunction(_ name: String, _ arguments: [TemplateValue]) throws(TemplateError)
        -> TemplateValue?
    {
        func argument(_ count: Int) throws(TemplateError) { try expect(count, name, arguments) }
        switch name {
        case "humanize", "humanize1024", "humanizePercentage", "humanizeDuration", "humanizeTimestamp":
            try argument(1)
            let value = try number(arguments[0], for: name)
            return .string(Humanize.format(name, value))
        case "printf":
            guard let format = arguments.first else { throw TemplateError("wrong number of args for printf") }
            return .string(GoFormat.printf(text(format), Array(arguments.dropFirst())))
        case "print":
            // Go's Sprint: spaces between operands when neither is a string.
            var result = ""
            for (index, value) in arguments.enumerated() {
                if index > 0, !isString(value), !isString(arguments[index - 1]) { result += " " }
                result += text(value)
            }
            return .string(result)
        case "println": return .string(arguments.map(text).joined(separator: " ") + "\n")
        case "toUpper":
            try argument(1)
            return .string(text(arguments[0]).uppercased())
        case "toLower":
            try argument(1)
            return .string(text(arguments[0]).lowercased())
        case "title":
            try argument(1)
            return .string(text(arguments[0]).capitalized)
        case "stripPort":
            try argument(1)
            return .string(Humanize.stripPort(text(arguments[0])))
        case "stripDomain":
            try argument(1)
            return .string(Humanize.stripDomain(text(arguments[0])))
        case "safeHtml":
            try argument(1)
            return .html(text(arguments[0]))
        case "html", "js", "urlquery":
            try argument(1)
            let escape = name == "html" ? GoEscape.html : name == "js" ? GoEscape.js : GoEscape.urlQuery
            return .string(escape(text(arguments[0])))
        case "match":
            try argument(2)
            return .bool(try regex(text(arguments[0])).matches(text(arguments[1])))
        case "reReplaceAll":
            try argument(3)
            let expression = try regex(text(arguments[0]))
            return .string(expression.replaceAll(in: text(arguments[2]), with: text(arguments[1])))
        default:
            return nil
        }
    }

    /// Go's built-in functions: length, index, logic and comparison.
    private static func logicFunction(_ name: String, _ arguments: [TemplateValue]) throws(TemplateError)
        -> TemplateValue
    {
        func argument(_ count: Int) throws(TemplateError) { try expect(count, name, arguments) }
        switch name {
        case "len":
            try argument(1)
            switch arguments[0] {
            case .string(let value), .html(let value): return .integer(Int64(value.utf8.count))
            case .map(let map), .kv(let map): return .integer(Int64(map.count))
            case .list(let items, _): return .integer(Int64(items.count))
            default: throw TemplateError("error calling len: len of type \(arguments[0].goTypeName)")
            }
        case "index":
            try argument(2)
            switch arguments[0] {
            case .map(let map), .kv(let map): return .string(map[text(arguments[1])] ?? "")
            case .list(let items, _):
                let position = try number(arguments[1], for: name)
                guard position >= 0, position < Double(items.count), position == position.rounded() else {
                    throw TemplateError("error calling index: index out of range: \(arguments[1].printed)")
                }
                return items[Int(position)]
            default:
                throw TemplateError("error calling index: can't index item of type \(arguments[0].goTypeName)")
            }
        case "and":
            guard let first = arguments.first else { throw TemplateError("wrong number of args for and") }
            return arguments.first { !$0.isTrue } ?? arguments.last ?? first
        case "or":
            guard let first = arguments.first else { throw TemplateError("wrong number of args for or") }
            return arguments.first { $0.isTrue } ?? arguments.last ?? first
        case "not":
            try argument(1)
            return .bool(!arguments[0].isTrue)
        case "eq":
            guard arguments.count >= 2 else { throw TemplateError("wrong number of args for eq") }
            for other in arguments.dropFirst() where try compare(arguments[0], other, name) == .orderedSame {
                return .bool(true)
            }
            return .bool(false)
        case "ne", "lt", "le", "gt", "ge":
            try argument(2)
            let order = try compare(arguments[0], arguments[1], name)
            switch name {
            case "ne": return .bool(order != .orderedSame)
            case "lt": return .bool(order == .orderedAscending)
            case "le": return .bool(order != .orderedDescending)
            case "gt": return .bool(order == .orderedDescending)
            default: return .bool(order != .orderedAscending)
            }
        default:
            throw TemplateError("function \"\(name)\" not defined")
        }
    }

    private static func isString(_ value: TemplateValue) -> Bool {
        if case .string = value { return true }
        return false
    }

    private static func regex(_ pattern: String) throws(TemplateError) -> TemplateRegex {
        do {
            return try TemplateRegex(pattern)
        } catch {
            throw TemplateError("error parsing regexp: \(pattern)")
        }
    }

    private static func compare(_ a: TemplateValue, _ b: TemplateValue, _ name: String) throws(TemplateError)
        -> ComparisonResult
    {
        switch (a, b) {
        case (.integer(let x), .integer(let y)):
            return x < y ? .orderedAscending : x > y ? .orderedDescending : .orderedSame
        case (.number, .number), (.integer, .number), (.number, .integer):
            // Go refuses to compare an int with a float; Prometheus' `gt $value 80` is meant numerically.
            let (x, y) = (try number(a, for: name), try number(b, for: name))
            return x < y ? .orderedAscending : x > y ? .orderedDescending : .orderedSame
        case (.string(let x), .string(let y)):
            return x < y ? .orderedAscending : x > y ? .orderedDescending : .orderedSame
        case (.bool(let x), .bool(let y)) where name == "eq" || name == "ne":
            return x == y ? .orderedSame : .orderedAscending
        default: throw TemplateError("error calling \(name): incompatible types for comparison")
        }
    }
}

/// A regular expression for `match` and `reReplaceAll`, with Go's `$1` / `${name}` replacements,
/// matched in linear time: a template's pattern runs over label values a feed sent.
struct TemplateRegex {
    let expression: LinearRegex

    init(_ pattern: String) throws { expression = try LinearRegex(pattern) }

    func matches(_ text: String) -> Bool { expression.matchesPart(of: text) }

    func replaceAll(in text: String, with template: String) -> String {
        expression.replaceAll(in: text, with: template)
    }
}

/// The escapers of Go's text/template, byte for byte: label values in a notification's HTML, script
/// or URL are text, never markup.
enum GoEscape {
    /// `html`: Go's `HTMLEscapeString`.
    static func html(_ text: String) -> String {
        replacing(text) { scalar in
            switch scalar {
            case "\"": "&#34;"
            case "'": "&#39;"
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\u{0}": "\u{FFFD}"
            default: nil
            }
        }
    }

    /// `js`: Go's `JSEscapeString`.
    static func js(_ text: String) -> String {
        func unicode(_ value: UInt32) -> String {
            let hex = String(value, radix: 16, uppercase: true)
            return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        return replacing(text) { scalar in
            switch scalar {
            case "\\": "\\\\"
            case "'": "\\'"
            case "\"": "\\\""
            case "<", ">", "&", "=": unicode(scalar.value)
            case _ where scalar.value < 0x20: unicode(scalar.value)
            // ASCII passes as it is (DEL too); beyond it, what Go's unicode.IsPrint refuses is escaped.
            case _ where scalar.isASCII || isPrintable(scalar): nil
            default: unicode(scalar.value)
            }
        }
    }

    /// `text` with each character `replacement` gives text for replaced by it.
    private static func replacing(_ text: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if let replaced = replacement(scalar) { out += replaced } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// Go's `unicode.IsPrint` beyond ASCII: letters, marks, numbers, punctuation and symbols.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .nonspacingMark,
            .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber, .connectorPunctuation,
            .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation,
            .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            true
        default: false
        }
    }

    /// `urlquery`: Go's `url.QueryEscape`.
    static func urlQuery(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "): out += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}
