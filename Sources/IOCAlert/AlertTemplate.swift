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
