import Foundation
import IOCCore

/// The tokens of one action.
enum ActionToken: Equatable {
    case identifier(String)
    case variable(String, [String])
    case field([String])
    case literal(TemplateValue)
    case open, close, pipe, declare, assign
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
