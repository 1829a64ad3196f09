import Foundation
import IOCCore

/// One expansion: the variables in scope, the named templates, and the bounds that keep a template
/// and hostile data from running away (nested `template` calls, output size).
struct TemplateContext {
    var variables: [String: TemplateValue]
    let definitions: [String: [TemplateNode]]
    /// How values that actions print are escaped (an HTML body's), or nil to print them as they are.
    var escape: (@Sendable (String) -> String)?
    /// The most text one expansion may write.
    var maxOutput = 1 << 20
    /// At `maxOutput`, stop and keep what was written (a message cut to its channel's limit)
    /// rather than fail.
    var truncates = false
    private var depth = 0
    /// The variables each enclosing `if`, `with`, `range` or template declared.
    private var declared: [Set<String>] = [[]]
    /// Go's limit on nested template calls is 100,000; a notification needs far fewer.
    static let maxDepth = 100

    init(
        variables: [String: TemplateValue], definitions: [String: [TemplateNode]],
        escape: (@Sendable (String) -> String)? = nil
    ) {
        self.variables = variables
        self.definitions = definitions
        self.escape = escape
    }

    /// What a list of nodes asks of an enclosing `range`.
    enum Flow { case next, breakLoop, continueLoop }

    mutating func run(_ nodes: [TemplateNode], dot: TemplateValue, into output: inout String) throws(TemplateError)
        -> Flow
    {
        for node in nodes {
            switch node {
            case .text(let text): try write(text, to: &output)
            case .action(let pipeline):
                let value = try evaluate(pipeline, dot: dot)
                guard pipeline.declares.isEmpty else { continue }
                if case .html(let markup) = value {
                    try write(markup, to: &output)
                } else {
                    try write(escape.map { $0(value.printed) } ?? value.printed, to: &output)
                }
            case .conditional(let branches, let otherwise), .with(let branches, let otherwise):
                let isWith = if case .with = node { true } else { false }
                // Variables declared inside a branch end with it.
                let saved = enterScope()
                defer { exitScope(saved) }
                var flow: Flow?
                for branch in branches {
                    let value = try evaluate(branch.condition, dot: dot)
                    guard value.isTrue else { continue }
                    flow = try run(branch.body, dot: isWith ? value : dot, into: &output)
                    break
                }
                let result: Flow
                if let flow { result = flow } else { result = try run(otherwise, dot: dot, into: &output) }
                if result != .next { return result }
            case .range(let pipeline, let body, let otherwise):
                try range(pipeline, body: body, otherwise: otherwise, dot: dot, into: &output)
            case .include(let name, let pipeline):
                var argument: TemplateValue?
                if let pipeline { argument = try evaluate(pipeline, dot: dot) }
                try include(name, argument: argument ?? .none, into: &output)
            case .breakLoop: return .breakLoop
            case .continueLoop: return .continueLoop
            }
        }
        return .next
    }

    /// Runs the template `name` with `.` and `$` set to `argument`: a template sees no variable of
    /// its caller.
    private mutating func include(_ name: String, argument: TemplateValue, into output: inout String)
        throws(TemplateError)
    {
        guard let body = definitions[name] else { throw TemplateError("no template \"\(name)\" is defined") }
        guard depth < TemplateContext.maxDepth else {
            throw TemplateError("exceeded maximum template depth (\(TemplateContext.maxDepth))")
        }
        let saved = variables
        let savedDeclared = declared
        depth += 1
        defer {
            depth -= 1
            variables = saved
            declared = savedDeclared
        }
        variables = ["$": argument]
        declared = [[]]
        _ = try run(body, dot: argument, into: &output)
    }

    private func write(_ text: String, to output: inout String) throws(TemplateError) {
        guard output.utf8.count + text.utf8.count <= maxOutput else {
            if truncates {
                for character in text {
                    guard output.utf8.count + character.utf8.count <= maxOutput else { break }
                    output.append(character)
                }
                throw TemplateError.outputFull
            }
            throw TemplateError("the text would be longer than \(maxOutput) bytes")
        }
        output += text
    }

    private mutating func range(
        _ pipeline: TemplatePipeline, body: [TemplateNode], otherwise: [TemplateNode], dot: TemplateValue,
        into output: inout String
    ) throws(TemplateError) {
        var over = pipeline
        over.declares = []
        let items: [(TemplateValue, TemplateValue)]
        switch try evaluate(over, dot: dot) {
        case .list(let values, _): items = values.enumerated().map { (.integer(Int64($0.offset)), $0.element) }
        case .map(let map), .kv(let map):
            items = map.sorted { $0.key < $1.key }.map { (.string($0.key), .string($0.value)) }
        case .integer(let count) where count >= 0 && count <= 1_000_000:
            items = (0..<Int(count)).map { (.integer(Int64($0)), .integer(Int64($0))) }
        case .number(let count) where count >= 0 && count <= 1_000_000 && count == count.rounded():
            items = (0..<Int(count)).map { (.integer(Int64($0)), .integer(Int64($0))) }
        case .none: items = []
        case let other: throw TemplateError("range can't iterate over \(other.printed.prefix(64))")
        }
        let saved = enterScope()
        defer { exitScope(saved) }
        for (key, element) in items {
            switch pipeline.declares.count {
            case 1: declare(pipeline.declares[0], element)
            case 2:
                declare(pipeline.declares[0], key)
                declare(pipeline.declares[1], element)
            default: break
            }
            if try run(body, dot: element, into: &output) == .breakLoop { break }
        }
        if items.isEmpty { _ = try run(otherwise, dot: dot, into: &output) }
    }

    mutating func evaluate(_ pipeline: TemplatePipeline, dot: TemplateValue) throws(TemplateError) -> TemplateValue {
        var result: TemplateValue?
        for command in pipeline.commands {
            result = try execute(command, piped: result, dot: dot)
        }
        let value = result ?? .none
        if let name = pipeline.declares.first {
            if pipeline.isAssignment {
                guard variables[name] != nil else { throw TemplateError("undefined variable: \(name)") }
                variables[name] = value
            } else {
                declare(name, value)
            }
        }
        return value
    }

    private mutating func declare(_ name: String, _ value: TemplateValue) {
        variables[name] = value
        declared[declared.count - 1].insert(name)
    }

    /// The variables as a scope begins.
    private mutating func enterScope() -> [String: TemplateValue] {
        declared.append([])
        return variables
    }

    /// Ends a scope: what it declared goes (an outer variable it shadowed comes back); what it
    /// assigned to an outer variable stays.
    private mutating func exitScope(_ saved: [String: TemplateValue]) {
        let inner = declared.removeLast()
        var restored: [String: TemplateValue] = [:]
        for (name, value) in saved { restored[name] = inner.contains(name) ? value : variables[name] ?? value }
        variables = restored
    }

    mutating func execute(_ command: [TemplateArgument], piped: TemplateValue?, dot: TemplateValue)
        throws(TemplateError) -> TemplateValue
    {
        var arguments: [TemplateValue] = []
        for argument in command.dropFirst() { arguments.append(try operand(argument, dot: dot)) }
        if let piped { arguments.append(piped) }
        switch command[0] {
        case .function("include"):
            // Helm's `include`: a named template's text as a value, to pipe (`| toJson`).
            guard arguments.count == 2 else { throw TemplateError("wrong number of args for include: want 2") }
            var text = ""
            try include(TemplateContext.text(arguments[0]), argument: arguments[1], into: &text)
            return .string(text)
        case .function(let name):
            return try TemplateContext.call(name, arguments)
        case .field(let fields) where !fields.isEmpty:
            return try TemplateContext.select(fields, in: dot, arguments: arguments)
        case .variable(let name, let fields) where !fields.isEmpty:
            return try TemplateContext.select(fields, in: try variable(name), arguments: arguments)
        case .chain(let inner, let fields):
            return try TemplateContext.select(fields, in: try evaluate(inner, dot: dot), arguments: arguments)
        default:
            guard arguments.isEmpty else {
                throw TemplateError("can't give argument to non-function \(describe(command[0]))")
            }
            return try operand(command[0], dot: dot)
        }
    }

    private func describe(_ argument: TemplateArgument) -> String {
        switch argument {
        case .variable(let name, let fields): ([name] + fields).joined(separator: ".")
        case .field(let fields): "." + fields.joined(separator: ".")
        case .literal(let value): value.printed
        default: "value"
        }
    }

    private func variable(_ name: String) throws(TemplateError) -> TemplateValue {
        guard let value = variables[name] else { throw TemplateError("undefined variable \"\(name)\"") }
        return value
    }

    mutating func operand(_ argument: TemplateArgument, dot: TemplateValue) throws(TemplateError) -> TemplateValue {
        switch argument {
        case .function(let name): return try TemplateContext.call(name, [])
        case .literal(let value): return value
        case .pipeline(let inner): return try evaluate(inner, dot: dot)
        case .variable(let name, let fields): return try TemplateContext.select(fields, in: try variable(name))
        case .field(let fields): return try TemplateContext.select(fields, in: dot)
        case .chain(let inner, let fields): return try TemplateContext.select(fields, in: try evaluate(inner, dot: dot))
        }
    }

    static func number(_ value: TemplateValue, for function: String) throws(TemplateError) -> Double {
        switch value {
        case .number(let number): return number
        case .integer(let number): return Double(number)
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
}
