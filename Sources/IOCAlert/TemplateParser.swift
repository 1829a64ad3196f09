import Foundation
import IOCCore

struct TemplateParser {
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
