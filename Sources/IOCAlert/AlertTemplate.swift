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

    /// Prometheus' `.`, and the variables it defines before every alert template.
    var dot: TemplateValue {
        .record(
            type: "template.Data",
            fields: [
                TemplateField(name: "Labels", value: .map(labels)), TemplateField(name: "Value", value: .number(value)),
                TemplateField(name: "ExternalLabels", value: .map(externalLabels)),
                TemplateField(name: "ExternalURL", value: .string(externalURL)),
            ])
    }

    var variables: [String: TemplateValue] {
        [
            "$labels": .map(labels), "$externalLabels": .map(externalLabels), "$externalURL": .string(externalURL),
            "$value": .number(value),
        ]
    }
}

/// A template error: at load time a syntax error or an unknown function, at expansion a function
/// given the wrong kind of argument.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// The text reached its bound in an expansion that truncates.
    static let outputFull = TemplateError("output full")
}

/// A label or annotation template in the Go `text/template` language that Prometheus rule files use:
/// text, `{{ pipeline }}` with `|`, variables (`$labels.instance`, `$value`, `$x := ...`), fields
/// (`.Labels.instance`), `if` / `else if` / `else`, `range`, `with`, `define` / `template` / `block`,
/// comments, `{{-` and `-}}`, and Prometheus' functions (`humanize`, `humanizePercentage`,
/// `humanizeDuration`, `printf`, `toUpper`, `reReplaceAll`, comparisons, ...). Anything else is
/// refused when the rule file is loaded, never at the moment an alert fires.
public struct AlertTemplate: Sendable {
    let nodes: [TemplateNode]
    let definitions: [String: [TemplateNode]]
    public let source: String

    public init(_ source: String) throws(TemplateError) {
        self.source = source
        var parser = TemplateParser(source)
        nodes = try parser.parse()
        definitions = parser.definitions
        try TemplateParser.checkIncludes(nodes, definitions: definitions, known: [])
    }

    /// Whether the text has any action at all (most label values do not).
    public var isConstant: Bool { nodes.allSatisfy { if case .text = $0 { true } else { false } } }

    public func expand(_ data: TemplateData) throws(TemplateError) -> String {
        var variables = data.variables
        variables["$"] = data.dot
        var context = TemplateContext(variables: variables, definitions: definitions)
        var output = ""
        _ = try context.run(nodes, dot: data.dot, into: &output)
        return output
    }
}

indirect enum TemplateNode: Sendable {
    case text(String)
    case action(TemplatePipeline)
    case conditional(branches: [(condition: TemplatePipeline, body: [TemplateNode])], otherwise: [TemplateNode])
    /// `with`: a branch is taken when its pipeline is true, with `.` set to its value.
    case with(branches: [(condition: TemplatePipeline, body: [TemplateNode])], otherwise: [TemplateNode])
    case range(TemplatePipeline, body: [TemplateNode], otherwise: [TemplateNode])
    /// `{{ template "name" pipeline }}`.
    case include(String, TemplatePipeline?)
    case breakLoop, continueLoop
}

struct TemplatePipeline: Sendable {
    /// `$name :=` (or `$index, $element :=` in a `range`) before the pipeline.
    var declares: [String] = []
    /// `$name =`: the variable exists, in this scope or an enclosing one, and takes the value.
    var isAssignment = false
    var commands: [[TemplateArgument]]

    init(declares: [String] = [], isAssignment: Bool = false, commands: [[TemplateArgument]]) {
        self.declares = declares
        self.isAssignment = isAssignment
        self.commands = commands
    }
}

indirect enum TemplateArgument: Sendable {
    case function(String)
    case variable(String, fields: [String])
    case field([String])
    case literal(TemplateValue)
    case pipeline(TemplatePipeline)
    /// `(pipeline).Field.Method`.
    case chain(TemplatePipeline, fields: [String])
}
