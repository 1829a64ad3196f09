import Foundation
import IOCCore

/// The tokens of one action.
enum ActionToken: Equatable {
    case identifier(String)
    case variable(String, [String])
    case field([String])
    case literal(TemplateValue)
    /// `.a.b` right after a `)`: fields of the parenthesised pipeline's value.
    case chain([String])
    case open, close, pipe, declare, assign, comma
}

struct ActionLexer {
    private var tokens: [ActionToken]
    private var position = 0

    var peek: ActionToken? { position < tokens.count ? tokens[position] : nil }
    mutating func next() { position += 1 }

    init(_ text: String) throws(TemplateError) {
        tokens = []
        let characters = Array(text.unicodeScalars)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if let token = Self.punctuation[character] {
                tokens.append(token)
                index += 1
                continue
            }
            switch character {
            case " ", "\t", "\n", "\r":
                index += 1
            case ":" where index + 1 < characters.count && characters[index + 1] == "=":
                tokens.append(.declare)
                index += 2
            case "$":
                let end = Self.nameEnd(characters, from: index + 1)
                let name = String(String.UnicodeScalarView(characters[index..<end]))
                let (fields, after) = Self.path(characters, from: end)
                tokens.append(.variable(name, fields))
                index = after
            case ".":
                let (fields, after) = Self.path(characters, from: index)
                let named = fields.filter { !$0.isEmpty }
                tokens.append(index > 0 && characters[index - 1] == ")" ? .chain(named) : .field(named))
                index = after
            case "\"", "`":
                let (text, after) = try Self.quoted(characters, from: index)
                tokens.append(.literal(.string(text)))
                index = after
            default:
                var end = index
                while end < characters.count, !" \t\n\r()|,".unicodeScalars.contains(characters[end]) { end += 1 }
                tokens.append(try Self.word(String(String.UnicodeScalarView(characters[index..<end]))))
                index = end
            }
        }
    }

    /// The tokens of one character.
    private static let punctuation: [Unicode.Scalar: ActionToken] = [
        "(": .open, ")": .close, "|": .pipe, "=": .assign, ",": .comma,
    ]

    /// Where a name (letters, digits, `_`) that starts at `start` ends.
    private static func nameEnd(_ characters: [Unicode.Scalar], from start: Int) -> Int {
        var end = start
        while end < characters.count,
            characters[end].properties.isAlphabetic || characters[end] == "_" || ("0"..."9").contains(characters[end])
        {
            end += 1
        }
        return end
    }

    /// `.a.b` from `start`: the field names, and where they end.
    private static func path(_ characters: [Unicode.Scalar], from start: Int) -> ([String], Int) {
        var fields: [String] = []
        var at = start
        while at < characters.count, characters[at] == "." {
            let end = nameEnd(characters, from: at + 1)
            fields.append(String(String.UnicodeScalarView(characters[(at + 1)..<end])))
            at = end
        }
        return (fields, at)
    }

    /// A string in double quotes (with Go's common escapes) or backticks (raw) at `start`: its
    /// text, and the index after its closing quote.
    private static func quoted(_ characters: [Unicode.Scalar], from start: Int) throws(TemplateError) -> (String, Int) {
        let quote = characters[start]
        var end = start + 1
        var text = ""
        while end < characters.count {
            let next = characters[end]
            if next == quote { return (text, end + 1) }
            if quote == "\"" && next == "\\" && end + 1 < characters.count {
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
        throw TemplateError("unterminated quoted string")
    }

    /// A bare word: a boolean, nil, a number or a function's name.
    private static func word(_ word: String) throws(TemplateError) -> ActionToken {
        if word == "true" || word == "false" { return .literal(.bool(word == "true")) }
        if word == "nil" { return .literal(.none) }
        if let number = Double(word), word.first.map({ $0.isNumber || $0 == "-" || $0 == "+" }) == true {
            return .literal(.number(number))
        }
        if word.first?.isLetter == true, word.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            return .identifier(word)
        }
        throw TemplateError("unexpected \"\(word)\" in command")
    }

    /// A pipeline, after up to `allowing` variables it declares (`$x :=`; `$i, $e :=` in a `range`).
    mutating func pipeline(allowing declarations: Int = 1) throws(TemplateError) -> TemplatePipeline {
        var declares: [String] = []
        var isAssignment = false
        var look = position
        var names: [String] = []
        while case .variable(let name, let fields)? = look < tokens.count ? tokens[look] : nil, fields.isEmpty {
            names.append(name)
            look += 1
            guard look < tokens.count else { break }
            if tokens[look] == .declare || tokens[look] == .assign {
                guard names.count <= declarations else { throw TemplateError("too many declarations in command") }
                declares = names
                isAssignment = tokens[look] == .assign
                position = look + 1
                break
            }
            guard tokens[look] == .comma, declarations > 1 else { break }
            look += 1
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
                    if case .chain(let fields)? = peek {
                        next()
                        arguments.append(.chain(inner, fields: fields))
                    } else {
                        arguments.append(.pipeline(inner))
                    }
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
        return TemplatePipeline(declares: declares, isAssignment: isAssignment, commands: commands)
    }
}

/// The functions a template may call, with Prometheus' names.
private let templateFunctions: Set<String> = [
    "humanize", "humanize1024", "humanizePercentage", "humanizeDuration", "humanizeTimestamp", "printf", "print",
    "println", "toUpper", "toLower", "title", "match", "reReplaceAll", "stripPort", "stripDomain", "safeHtml",
    "len", "index", "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "urlquery", "html", "js",
    // Alertmanager's.
    "join", "stringSlice", "list", "append", "trimSpace", "safeUrl", "urlUnescape", "base64encode", "toJson", "date",
    "tz", "now", "since",
    // Helm's, for a named template's text as a value.
    "include",
]

/// Functions of Prometheus' templates that need a query engine or a web page; refused by name.
private let unsupportedFunctions: Set<String> = [
    "query", "first", "label", "value", "sortByLabel", "strvalue", "args", "tableLink", "graphLink", "parseDuration",
    "pathPrefix", "externalURL", "call", "slice",
]
