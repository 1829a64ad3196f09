import Foundation
import IOCCore

/// What an alert's label and annotation templates can read: `$labels` / `.Labels`, `$value` /
/// `.Value`, `$externalLabels` / `.ExternalLabels` and `$externalURL` / `.ExternalURL`, as in
/// Prometheus.
public struct TemplateData: Sendable {
    public var labels: [String: String]
    public var value: Double
    public var externalLabels: [String: String]
    public var externalURL: String

    public init(
        labels: [String: String], value: Double, externalLabels: [String: String] = [:], externalURL: String = ""
    ) {
        self.labels = labels
        self.value = value
        self.externalLabels = externalLabels
        self.externalURL = externalURL
    }
}

/// A value inside a template.
enum TemplateValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case map([String: String])
    case none

    /// As `{{ . }}` prints it (Go's `fmt.Fprint`).
    var printed: String {
        switch self {
        case .string(let text): text
        case .number(let number): GoFormat.shortest(number)
        case .bool(let flag): flag ? "true" : "false"
        case .map(let map):
            "map[" + map.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ") + "]"
        case .none: "<no value>"
        }
    }

    /// Go's notion of truth for `if`, `and`, `or`, `not`: false, 0, "", an empty map and nothing are false.
    var isTrue: Bool {
        switch self {
        case .string(let text): !text.isEmpty
        case .number(let number): number != 0
        case .bool(let flag): flag
        case .map(let map): !map.isEmpty
        case .none: false
        }
    }

    var goTypeName: String {
        switch self {
        case .string: "string"
        case .number: "float64"
        case .bool: "bool"
        case .map: "map[string]string"
        case .none: "<nil>"
        }
    }
}

/// A template error: at load time a syntax error or an unknown function, at expansion a function
/// given the wrong kind of argument.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A label or annotation template in the Go `text/template` language that Prometheus rule files use,
/// with the parts people write: text, `{{ pipeline }}` with `|`, variables (`$labels.instance`,
/// `$value`, `$x := ...`), fields (`.Labels.instance`), `if` / `else if` / `else` / `end`, comments,
/// `{{-` and `-}}`, and Prometheus' functions (`humanize`, `humanizePercentage`,
/// `humanizeDuration`, `printf`, `toUpper`, `reReplaceAll`, comparisons, ...). Anything else is
/// refused when the rule file is loaded, never at the moment an alert fires.
public struct AlertTemplate: Sendable {
    let nodes: [TemplateNode]
    public let source: String

    public init(_ source: String) throws(TemplateError) {
        self.source = source
        var parser = TemplateParser(source)
        nodes = try parser.parse()
    }

    /// Whether the text has any action at all (most label values do not).
    public var isConstant: Bool { nodes.allSatisfy { if case .text = $0 { true } else { false } } }

    public func expand(_ data: TemplateData) throws(TemplateError) -> String {
        var context = TemplateContext(data: data)
        var output = ""
        try context.run(nodes, into: &output)
        return output
    }
}

indirect enum TemplateNode: Sendable {
    case text(String)
    case action(TemplatePipeline)
    case conditional(branches: [(condition: TemplatePipeline, body: [TemplateNode])], otherwise: [TemplateNode])
}

struct TemplatePipeline: Sendable {
    /// `$name :=` or `$name =` before the pipeline.
    var assigns: String?
    var commands: [[TemplateArgument]]
}

indirect enum TemplateArgument: Sendable {
    case function(String)
    case variable(String, fields: [String])
    case field([String])
    case literal(TemplateValue)
    case pipeline(TemplatePipeline)
}

/// The functions a template may call, with Prometheus' names.
private let templateFunctions: Set<String> = [
    "humanize", "humanize1024", "humanizePercentage", "humanizeDuration", "humanizeTimestamp", "printf", "print",
    "println", "toUpper", "toLower", "title", "match", "reReplaceAll", "stripPort", "stripDomain", "safeHtml",
    "len", "index", "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "urlquery", "html", "js",
]

/// Functions of Prometheus' templates that need a query engine or a web page; refused by name.
private let unsupportedFunctions: Set<String> = [
    "query", "first", "label", "value", "sortByLabel", "strvalue", "args", "tableLink", "graphLink", "parseDuration",
    "pathPrefix", "externalURL", "call", "slice",
]

private struct TemplateParser {
    let source: String
    var index: String.Index

    init(_ source: String) {
        self.source = source
        index = source.startIndex
    }

    enum Directive {
        case node(TemplateNode)
        case elseIf(TemplatePipeline)
        case otherwise
        case end
    }

    mutating func parse() throws(TemplateError) -> [TemplateNode] {
        let (nodes, last) = try parseList()
        if let last {
            switch last {
            case .end: throw TemplateError("unexpected {{end}}")
            default: throw TemplateError("unexpected {{else}}")
            }
        }
        return nodes
    }

    /// Nodes up to the end of the text (nil) or to an `else` / `end` directive (returned).
    mutating func parseList() throws(TemplateError) -> ([TemplateNode], Directive?) {
        var nodes: [TemplateNode] = []
        while index < source.endIndex {
            guard let open = source.range(of: "{{", range: index..<source.endIndex) else {
                nodes.append(.text(String(source[index...])))
                index = source.endIndex
                break
            }
            var text = String(source[index..<open.lowerBound])
            var start = open.upperBound
            // `{{- ` trims the white space before the action.
            if source[start...].hasPrefix("- ") || source[start...].hasPrefix("-\t")
                || source[start...].hasPrefix("-\n")
            {
                while let last = text.last, last.isWhitespace { text.removeLast() }
                start = source.index(after: start)
            }
            if !text.isEmpty { nodes.append(.text(text)) }
            guard let close = source.range(of: "}}", range: start..<source.endIndex) else {
                throw TemplateError("unclosed action")
            }
            var body = source[start..<close.lowerBound]
            var trimAfter = false
            if body.hasSuffix(" -") || body.hasSuffix("\t-") || body.hasSuffix("\n-") {
                body = body.dropLast()
                trimAfter = true
            }
            index = close.upperBound
            if trimAfter {
                while index < source.endIndex, source[index].isWhitespace { index = source.index(after: index) }
            }
            switch try directive(String(body)) {
            case .node(let node)?: nodes.append(node)
            case let other?: return (nodes, other)
            case nil: break
            }
        }
        return (nodes, nil)
    }

    /// One action's content; nil for a comment.
    mutating func directive(_ body: String) throws(TemplateError) -> Directive? {
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("/*") {
            guard trimmed.hasSuffix("*/") else { throw TemplateError("unclosed comment") }
            return nil
        }
        var lexer = try ActionLexer(trimmed)
        guard let first = lexer.peek else { throw TemplateError("missing value for command") }
        if case .identifier(let keyword) = first {
            switch keyword {
            case "if":
                lexer.next()
                let condition = try lexer.pipeline()
                return .node(try conditional(first: condition))
            case "else":
                lexer.next()
                if case .identifier("if") = lexer.peek {
                    lexer.next()
                    return .elseIf(try lexer.pipeline())
                }
                guard lexer.peek == nil else { throw TemplateError("unexpected tokens after else") }
                return .otherwise
            case "end":
                lexer.next()
                guard lexer.peek == nil else { throw TemplateError("unexpected tokens after end") }
                return .end
            case "range", "with", "define", "template", "block", "break", "continue":
                throw TemplateError("'\(keyword)' is not supported in IOC's alert templates")
            default: break
            }
        }
        return .node(.action(try lexer.pipeline()))
    }

    mutating func conditional(first: TemplatePipeline) throws(TemplateError) -> TemplateNode {
        var branches: [(TemplatePipeline, [TemplateNode])] = []
        var condition = first
        while true {
            let (body, last) = try parseList()
            branches.append((condition, body))
            switch last {
            case .end?:
                return .conditional(branches: branches, otherwise: [])
            case .elseIf(let next)?:
                condition = next
            case .otherwise?:
                let (otherwise, closing) = try parseList()
                guard case .end? = closing else { throw TemplateError("expected {{end}} after {{else}}") }
                return .conditional(branches: branches, otherwise: otherwise)
            default:
                throw TemplateError("unexpected EOF: {{if}} without {{end}}")
            }
        }
    }
}

/// The tokens of one action.
private enum ActionToken: Equatable {
    case identifier(String)
    case variable(String, [String])
    case field([String])
    case literal(TemplateValue)
    case open, close, pipe, declare, assign
}

private struct ActionLexer {
    private var tokens: [ActionToken]
    private var position = 0

    var peek: ActionToken? { position < tokens.count ? tokens[position] : nil }
    mutating func next() { position += 1 }

    init(_ text: String) throws(TemplateError) {
        tokens = []
        let characters = Array(text.unicodeScalars)
        var index = 0
        func path(from start: Int) -> ([String], Int) {
            var fields: [String] = []
            var at = start
            while at < characters.count, characters[at] == "." {
                var end = at + 1
                while end < characters.count,
                    characters[end].properties.isAlphabetic || characters[end] == "_"
                        || ("0"..."9").contains(characters[end])
                {
                    end += 1
                }
                fields.append(String(String.UnicodeScalarView(characters[(at + 1)..<end])))
                at = end
            }
            return (fields, at)
        }
        while index < characters.count {
            let character = characters[index]
            switch character {
            case " ", "\t", "\n", "\r":
                index += 1
            case "(":
                tokens.append(.open)
                index += 1
            case ")":
                tokens.append(.close)
                index += 1
            case "|":
                tokens.append(.pipe)
                index += 1
            case ":" where index + 1 < characters.count && characters[index + 1] == "=":
                tokens.append(.declare)
                index += 2
            case "=":
                tokens.append(.assign)
                index += 1
            case "$":
                var end = index + 1
                while end < characters.count,
                    characters[end].properties.isAlphabetic || characters[end] == "_"
                        || ("0"..."9").contains(characters[end])
                {
                    end += 1
                }
                let name = String(String.UnicodeScalarView(characters[index..<end]))
                let (fields, after) = path(from: end)
                tokens.append(.variable(name, fields))
                index = after
            case ".":
                let (fields, after) = path(from: index)
                tokens.append(.field(fields.filter { !$0.isEmpty }))
                index = after
            case "\"", "`":
                var end = index + 1
                var text = ""
                var closed = false
                while end < characters.count {
                    let next = characters[end]
                    if next == character {
                        closed = true
                        break
                    }
                    if character == "\"" && next == "\\" && end + 1 < characters.count {
                        end += 1
                        switch characters[end] {
                        case "n": text += "\n"
                        case "t": text += "\t"
                        case "r": text += "\r"
                        case "\\": text += "\\"
                        case "\"": text += "\""
                        default: throw TemplateError("unknown escape sequence \\\(characters[end])")
                        }
                    } else {
                        text.unicodeScalars.append(next)
                    }
                    end += 1
                }
                guard closed else { throw TemplateError("unterminated quoted string") }
                tokens.append(.literal(.string(text)))
                index = end + 1
            default:
                var end = index
                while end < characters.count, !" \t\n\r()|".unicodeScalars.contains(characters[end]) { end += 1 }
                let word = String(String.UnicodeScalarView(characters[index..<end]))
                index = end
                if word == "true" || word == "false" {
                    tokens.append(.literal(.bool(word == "true")))
                } else if word == "nil" {
                    tokens.append(.literal(.none))
                } else if let number = Double(word), word.first.map({ $0.isNumber || $0 == "-" || $0 == "+" }) == true {
                    tokens.append(.literal(.number(number)))
                } else if word.first?.isLetter == true, word.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                    tokens.append(.identifier(word))
                } else {
                    throw TemplateError("unexpected \"\(word)\" in command")
                }
            }
        }
    }

    mutating func pipeline() throws(TemplateError) -> TemplatePipeline {
        var assigns: String?
        if case .variable(let name, let fields) = peek, fields.isEmpty, position + 1 < tokens.count,
            tokens[position + 1] == .declare || tokens[position + 1] == .assign
        {
            assigns = name
            position += 2
        }
        var commands: [[TemplateArgument]] = []
        while true {
            var arguments: [TemplateArgument] = []
            while let token = peek, token != .pipe, token != .close {
                next()
                switch token {
                case .identifier(let name):
                    if unsupportedFunctions.contains(name) {
                        throw TemplateError("function \"\(name)\" is not supported in IOC's alert templates")
                    }
                    guard templateFunctions.contains(name) else {
                        throw TemplateError("function \"\(name)\" not defined")
                    }
                    arguments.append(.function(name))
                case .variable(let name, let fields): arguments.append(.variable(name, fields: fields))
                case .field(let fields): arguments.append(.field(fields))
                case .literal(let value): arguments.append(.literal(value))
                case .open:
                    let inner = try pipeline()
                    guard peek == .close else { throw TemplateError("unclosed left paren") }
                    next()
                    arguments.append(.pipeline(inner))
                default:
                    throw TemplateError("unexpected token in command")
                }
            }
            guard !arguments.isEmpty else { throw TemplateError("missing value for command") }
            commands.append(arguments)
            guard peek == .pipe else { break }
            next()
        }
        if peek != nil && peek != .close { throw TemplateError("unexpected token after pipeline") }
        return TemplatePipeline(assigns: assigns, commands: commands)
    }
}

/// One expansion: the data and the variables in scope.
private struct TemplateContext {
    let data: TemplateData
    var variables: [String: TemplateValue]

    init(data: TemplateData) {
        self.data = data
        // The definitions Prometheus puts before every alert template.
        variables = [
            "$labels": .map(data.labels), "$externalLabels": .map(data.externalLabels),
            "$externalURL": .string(data.externalURL), "$value": .number(data.value),
        ]
    }

    mutating func run(_ nodes: [TemplateNode], into output: inout String) throws(TemplateError) {
        for node in nodes {
            switch node {
            case .text(let text): output += text
            case .action(let pipeline):
                let value = try evaluate(pipeline)
                if pipeline.assigns == nil { output += value.printed }
            case .conditional(let branches, let otherwise):
                // Variables declared inside a branch end with it.
                let saved = variables
                defer { variables = saved }
                var taken = false
                for branch in branches where try evaluate(branch.condition).isTrue {
                    try run(branch.body, into: &output)
                    taken = true
                    break
                }
                if !taken { try run(otherwise, into: &output) }
            }
        }
    }

    mutating func evaluate(_ pipeline: TemplatePipeline) throws(TemplateError) -> TemplateValue {
        var result: TemplateValue?
        for command in pipeline.commands {
            result = try execute(command, piped: result)
        }
        let value = result ?? .none
        if let name = pipeline.assigns { variables[name] = value }
        return value
    }

    mutating func execute(_ command: [TemplateArgument], piped: TemplateValue?) throws(TemplateError) -> TemplateValue {
        if case .function(let name) = command[0] {
            var arguments: [TemplateValue] = []
            for argument in command.dropFirst() { arguments.append(try operand(argument)) }
            if let piped { arguments.append(piped) }
            return try TemplateContext.call(name, arguments)
        }
        guard command.count == 1, piped == nil else {
            throw TemplateError("can't give argument to non-function \(describe(command[0]))")
        }
        return try operand(command[0])
    }

    private func describe(_ argument: TemplateArgument) -> String {
        switch argument {
        case .variable(let name, let fields): ([name] + fields).joined(separator: ".")
        case .field(let fields): "." + fields.joined(separator: ".")
        case .literal(let value): value.printed
        default: "value"
        }
    }

    mutating func operand(_ argument: TemplateArgument) throws(TemplateError) -> TemplateValue {
        switch argument {
        case .function(let name): return try TemplateContext.call(name, [])
        case .literal(let value): return value
        case .pipeline(let inner): return try evaluate(inner)
        case .variable(let name, let fields):
            guard let value = variables[name] else { throw TemplateError("undefined variable \"\(name)\"") }
            return try TemplateContext.select(fields, in: value)
        case .field(let fields):
            guard let first = fields.first else { return .none }
            let root: TemplateValue
            switch first {
            case "Labels": root = .map(data.labels)
            case "Value": root = .number(data.value)
            case "ExternalLabels": root = .map(data.externalLabels)
            case "ExternalURL": root = .string(data.externalURL)
            default: throw TemplateError("can't evaluate field \(first)")
            }
            return try TemplateContext.select(Array(fields.dropFirst()), in: root)
        }
    }

    /// `.a.b` of a value: a key of a map (a missing label is "", as Prometheus' `missingkey=zero`).
    static func select(_ fields: [String], in value: TemplateValue) throws(TemplateError) -> TemplateValue {
        var current = value
        for field in fields {
            guard case .map(let map) = current else {
                throw TemplateError("can't evaluate field \(field) in type \(current.goTypeName)")
            }
            current = .string(map[field] ?? "")
        }
        return current
    }

    static func number(_ value: TemplateValue, for function: String) throws(TemplateError) -> Double {
        switch value {
        case .number(let number): return number
        case .string(let text):
            guard let number = Double(text) else {
                throw TemplateError(
                    "error calling \(function): strconv.ParseFloat: parsing \(GoFormat.quoted(text)): invalid syntax")
            }
            return number
        default: throw TemplateError("error calling \(function): can't convert \(value.goTypeName) to float")
        }
    }

    static func text(_ value: TemplateValue) -> String {
        if case .string(let text) = value { return text }
        return value.printed
    }

    // swiftlint:disable:next cyclomatic_complexity
    static func call(_ name: String, _ arguments: [TemplateValue]) throws(TemplateError) -> TemplateValue {
        func argument(_ count: Int) throws(TemplateError) {
            guard arguments.count == count else {
                throw TemplateError("wrong number of args for \(name): want \(count) got \(arguments.count)")
            }
        }
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
            return .string(text(arguments[0]))
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
        case "len":
            try argument(1)
            switch arguments[0] {
            case .string(let value): return .number(Double(value.utf8.count))
            case .map(let map): return .number(Double(map.count))
            default: throw TemplateError("error calling len: len of type \(arguments[0].goTypeName)")
            }
        case "index":
            try argument(2)
            guard case .map(let map) = arguments[0] else {
                throw TemplateError("error calling index: can't index item of type \(arguments[0].goTypeName)")
            }
            return .string(map[text(arguments[1])] ?? "")
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
        case (.number(let x), .number(let y)):
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
private struct TemplateRegex {
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
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `js`: Go's `JSEscapeString`.
    static func js(_ text: String) -> String {
        var out = ""
        func unicode(_ value: UInt32) -> String {
            let hex = String(value, radix: 16, uppercase: true)
            return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "<": out += "\\u003C"
            case ">": out += "\\u003E"
            case "&": out += "\\u0026"
            case "=": out += "\\u003D"
            case _ where scalar.value < 0x20: out += unicode(scalar.value)
            // ASCII passes as it is (DEL too); beyond it, what Go's unicode.IsPrint refuses is escaped.
            case _ where scalar.isASCII || isPrintable(scalar): out.unicodeScalars.append(scalar)
            default: out += unicode(scalar.value)
            }
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
