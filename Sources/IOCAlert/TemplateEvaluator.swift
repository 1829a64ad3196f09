import Foundation
import IOCCore

/// One expansion: the data and the variables in scope.
struct TemplateContext {
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
}
