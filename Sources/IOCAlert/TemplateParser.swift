import Foundation
import IOCCore

struct TemplateParser {
    let source: String
    var index: String.Index

    init(_ source: String) {
        self.source = source
        index = source.startIndex
    }

    /// The `define`d and `block`ed templates, by name.
    var definitions: [String: [TemplateNode]] = [:]
    /// How many `range`s enclose the text being read (`break` and `continue` need one).
    private var ranges = 0
    /// How many `if`, `range`, `with` and `define` enclose it (`define` only at the top).
    private var depth = 0

    enum Directive {
        case node(TemplateNode)
        /// `else if` or `else with`.
        case orElse(keyword: String, TemplatePipeline)
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
            // An unterminated quote: the lexer names it, at the first `}}`.
            guard
                let close = TemplateParser.actionEnd(in: source, from: start)
                    ?? source.range(of: "}}", range: start..<source.endIndex)
            else {
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

    /// The `}}` that closes an action starting at `start`: not one inside a quoted string.
    static func actionEnd(in source: String, from start: String.Index) -> Range<String.Index>? {
        var quote: Character?
        var index = start
        while index < source.endIndex {
            let character = source[index]
            if let open = quote {
                if character == "\\" && open == "\"" {
                    index = source.index(after: index)
                    if index == source.endIndex { return nil }
                } else if character == open {
                    quote = nil
                }
            } else if character == "\"" || character == "`" {
                quote = character
            } else if character == "}", source[index...].hasPrefix("}}") {
                return index..<source.index(index, offsetBy: 2)
            }
            index = source.index(after: index)
        }
        return nil
    }

    /// One action's content; nil for a comment or a definition.
    mutating func directive(_ body: String) throws(TemplateError) -> Directive? {
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("/*") {
            guard trimmed.hasSuffix("*/") else { throw TemplateError("unclosed comment") }
            return nil
        }
        var lexer = try ActionLexer(trimmed)
        guard let first = lexer.peek else { throw TemplateError("missing value for command") }
        guard case .identifier(let keyword) = first else { return .node(.action(try lexer.pipeline())) }
        switch keyword {
        case "if", "with":
            lexer.next()
            let condition = try lexer.pipeline()
            return .node(try branches(keyword, first: condition))
        case "range":
            lexer.next()
            return .node(try range(lexer.pipeline(allowing: 2)))
        case "else":
            lexer.next()
            if case .identifier(let next) = lexer.peek, next == "if" || next == "with" {
                lexer.next()
                return .orElse(keyword: next, try lexer.pipeline())
            }
            guard lexer.peek == nil else { throw TemplateError("unexpected tokens after else") }
            return .otherwise
        case "end":
            lexer.next()
            guard lexer.peek == nil else { throw TemplateError("unexpected tokens after end") }
            return .end
        case "break", "continue":
            lexer.next()
            guard lexer.peek == nil else { throw TemplateError("unexpected tokens after \(keyword)") }
            guard ranges > 0 else { throw TemplateError("{{\(keyword)}} outside {{range}}") }
            return .node(keyword == "break" ? .breakLoop : .continueLoop)
        case "define", "template", "block":
            lexer.next()
            guard case .literal(.string(let name))? = lexer.peek else {
                throw TemplateError("\(keyword) needs a template name in quotes")
            }
            lexer.next()
            let argument = lexer.peek == nil ? nil : try lexer.pipeline()
            if keyword == "template" { return .node(.include(name, argument)) }
            guard depth == 0 else { throw TemplateError("unexpected {{\(keyword)}} inside another action") }
            guard keyword == "block" || argument == nil else { throw TemplateError("unexpected tokens after define") }
            depth += 1
            let (nodes, last) = try parseList()
            depth -= 1
            guard case .end? = last else { throw TemplateError("unexpected EOF: {{\(keyword)}} without {{end}}") }
            guard definitions[name] == nil else {
                throw TemplateError("template: multiple definition of template \"\(name)\"")
            }
            definitions[name] = nodes
            return keyword == "block" ? .node(.include(name, argument)) : nil
        default:
            return .node(.action(try lexer.pipeline()))
        }
    }

    /// `if` or `with`, with its `else if` / `else with` / `else` branches, up to `end`.
    mutating func branches(_ keyword: String, first: TemplatePipeline) throws(TemplateError) -> TemplateNode {
        var branches: [(TemplatePipeline, [TemplateNode])] = []
        var condition = first
        depth += 1
        defer { depth -= 1 }
        func node(_ otherwise: [TemplateNode]) -> TemplateNode {
            keyword == "if"
                ? .conditional(branches: branches, otherwise: otherwise)
                : .with(branches: branches, otherwise: otherwise)
        }
        while true {
            let (body, last) = try parseList()
            branches.append((condition, body))
            switch last {
            case .end?:
                return node([])
            case .orElse(let next, let pipeline)? where next == keyword:
                condition = pipeline
            case .otherwise?:
                let (otherwise, closing) = try parseList()
                guard case .end? = closing else { throw TemplateError("expected {{end}} after {{else}}") }
                return node(otherwise)
            case .orElse(let next, _)?:
                throw TemplateError("{{else \(next)}} inside {{\(keyword)}}")
            default:
                throw TemplateError("unexpected EOF: {{\(keyword)}} without {{end}}")
            }
        }
    }

    /// `range`'s body and its `else`, up to `end`.
    mutating func range(_ pipeline: TemplatePipeline) throws(TemplateError) -> TemplateNode {
        depth += 1
        defer { depth -= 1 }
        ranges += 1
        let (body, last) = try parseList()
        ranges -= 1
        switch last {
        case .end?: return .range(pipeline, body: body, otherwise: [])
        case .otherwise?:
            let (otherwise, closing) = try parseList()
            guard case .end? = closing else { throw TemplateError("expected {{end}} after {{else}}") }
            return .range(pipeline, body: body, otherwise: otherwise)
        case .orElse?: throw TemplateError("{{else if}} inside {{range}}")
        default: throw TemplateError("unexpected EOF: {{range}} without {{end}}")
        }
    }

    /// Fails on a `{{ template "x" }}` whose `x` is neither defined here nor among `known`: at load,
    /// not when an alert fires.
    static func checkIncludes(_ nodes: [TemplateNode], definitions: [String: [TemplateNode]], known: Set<String>)
        throws(TemplateError)
    {
        func check(_ nodes: [TemplateNode]) throws(TemplateError) {
            for node in nodes {
                switch node {
                case .include(let name, _):
                    guard definitions[name] != nil || known.contains(name) else {
                        throw TemplateError("template: no template \"\(name)\" is defined")
                    }
                case .conditional(let branches, let otherwise), .with(let branches, let otherwise):
                    for branch in branches { try check(branch.body) }
                    try check(otherwise)
                case .range(_, let body, let otherwise):
                    try check(body)
                    try check(otherwise)
                default: break
                }
            }
        }
        try check(nodes)
        for body in definitions.values { try check(body) }
    }
}
