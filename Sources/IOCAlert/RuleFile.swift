import Foundation
public import IOCCore
public import IOCQuery

/// A recording or alerting rule of a rule file, checked and with its expression parsed.
public struct Rule: Sendable {
    public enum Kind: Sendable {
        case recording
        case alerting(holdFor: Duration, keepFiringFor: Duration, annotations: [(String, AlertTemplate)])
    }

    /// The recorded metric's name, or the alert's name.
    public var name: String
    public var kind: Kind
    public var expression: Query
    /// Labels added to the result; an alert's are templates.
    public var labels: [(String, AlertTemplate)]
    /// Where the rule was written, for messages.
    public var location: SourceLocation

    public var isAlert: Bool {
        if case .alerting = kind { return true }
        return false
    }
}

/// A group of rules evaluated together, in order, at one interval.
public struct RuleGroup: Sendable {
    public var name: String
    public var file: String
    /// The group's own interval; nil for the configured default.
    public var interval: Duration?
    /// At most this many alerts or series per rule (0: no limit), as Prometheus' `limit`.
    public var limit: Int
    /// How far back from the evaluation time the group's queries look (Prometheus' `query_offset`).
    public var queryOffset: Duration
    public var rules: [Rule]
}

/// Rule files in Prometheus' format:
///
/// ```yaml
/// groups:
///   - name: availability
///     interval: 30s
///     rules:
///       - record: job:probe_success:avg5m
///         expr: avg by (job) (avg_over_time(probe_success[5m]))
///       - alert: PortalDown
///         expr: probe_success == 0
///         for: 2m
///         keep_firing_for: 5m
///         labels: {severity: critical}
///         annotations:
///           summary: "{{ $labels.instance }} is down"
/// ```
///
/// Every problem names file, line and column; templates and expressions are checked at load.
public enum RuleFile {
    /// Reads and checks the rule files, in order.
    public static func load(_ paths: [String]) throws(ConfigError) -> [RuleGroup] {
        var groups: [RuleGroup] = []
        for path in paths { groups += try load(path) }
        return groups
    }

    public static func load(_ path: String) throws(ConfigError) -> [RuleGroup] {
        guard FileManager.default.fileExists(atPath: path) else { throw ConfigError(file: path, "no such rule file") }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(file: path, "cannot read the rule file (is it UTF-8 text, and readable?)")
        }
        return try groups(from: try ConfigNode.parse(yaml: text, file: path), file: path)
    }

    public static func groups(from root: ConfigNode, file: String) throws(ConfigError) -> [RuleGroup] {
        if case .null = root.value { return [] }
        let top = try root.mapping(of: "a rule file", allowedKeys: ["groups"])
        var seen: Set<String> = []
        var result: [RuleGroup] = []
        for node in try top["groups"]?.sequence(of: "'groups'") ?? [] {
            let group = try self.group(node, file: file)
            guard seen.insert(group.name).inserted else {
                throw node.error("group name '\(group.name)' is repeated in the same file")
            }
            result.append(group)
        }
        return result
    }

    private static func group(_ node: ConfigNode, file: String) throws(ConfigError) -> RuleGroup {
        let mapping = try node.mapping(
            of: "a rule group", allowedKeys: ["name", "interval", "limit", "query_offset", "labels", "rules"])
        let nameNode = try mapping.required("name")
        let name = try nameNode.string("the group's name")
        guard !name.isEmpty else { throw nameNode.error("a rule group's name must not be empty") }
        var interval: Duration?
        if let intervalNode = mapping["interval"] {
            let value = try intervalNode.duration("'interval'")
            guard value > .zero else { throw intervalNode.error("'interval' must be more than 0") }
            interval = value
        }
        var limit = 0
        if let limitNode = mapping["limit"] {
            limit = try limitNode.int("'limit'")
            guard limit >= 0 else { throw limitNode.error("'limit' must not be negative") }
        }
        let queryOffset = try mapping["query_offset"]?.duration("'query_offset'") ?? .zero
        let groupLabels = try labelTemplates(mapping["labels"], templated: false)
        var rules: [Rule] = []
        for ruleNode in try mapping.required("rules").sequence(of: "'rules'") {
            var rule = try self.rule(ruleNode)
            // Group labels apply to every rule; the rule's own win.
            for (key, value) in groupLabels where !rule.labels.contains(where: { $0.0 == key }) {
                rule.labels.append((key, value))
            }
            rules.append(rule)
        }
        return RuleGroup(
            name: name, file: file, interval: interval, limit: limit, queryOffset: queryOffset, rules: rules)
    }

    private static func rule(_ node: ConfigNode) throws(ConfigError) -> Rule {
        let mapping = try node.mapping(
            of: "a rule", allowedKeys: ["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"])
        let record = mapping["record"]
        let alert = mapping["alert"]
        let name: String
        switch (record, alert) {
        case (nil, nil): throw node.error("a rule needs one of 'record' or 'alert'")
        case (.some, .some): throw node.error("a rule has only one of 'record' and 'alert', not both")
        case (let recordNode?, nil):
            name = try recordNode.string("'record'")
            guard isValidMetricName(name) else {
                throw recordNode.error("invalid recording rule name '\(name)'; expected a metric name")
            }
            for key in ["for", "keep_firing_for", "annotations"] {
                if let misplaced = mapping[key] { throw misplaced.error("invalid field '\(key)' in recording rule") }
            }
        case (nil, let alertNode?):
            name = try alertNode.string("'alert'")
            guard !name.isEmpty else { throw alertNode.error("an alert's name must not be empty") }
        }
        let exprNode = try mapping.required("expr")
        let text = try exprNode.string("'expr'")
        let expression: Query
        do {
            expression = try Query(parsing: text)
        } catch {
            throw exprNode.error("could not parse expression: \(error)")
        }
        guard expression.expression.type == .vector || expression.expression.type == .scalar else {
            throw exprNode.error(
                "the expression of a rule must give an instant vector or a scalar, not a \(expression.expression.type.rawValue)"
            )
        }
        let labels = try labelTemplates(mapping["labels"], templated: alert != nil)
        guard record == nil || !labels.contains(where: { $0.0 == "__name__" }) else {
            throw node.error("a recording rule cannot set '__name__'")
        }
        let kind: Rule.Kind
        if alert != nil {
            let holdFor = try mapping["for"]?.duration("'for'") ?? .zero
            let keepFiringFor = try mapping["keep_firing_for"]?.duration("'keep_firing_for'") ?? .zero
            let annotations = try templates(mapping["annotations"], what: "'annotations'")
            kind = .alerting(holdFor: holdFor, keepFiringFor: keepFiringFor, annotations: annotations)
        } else {
            kind = .recording
        }
        return Rule(name: name, kind: kind, expression: expression, labels: labels, location: node.location)
    }

    /// A mapping of label names to values; an alert's values are templates, checked here.
    private static func labelTemplates(_ node: ConfigNode?, templated: Bool) throws(ConfigError)
        -> [(String, AlertTemplate)]
    {
        guard let node else { return [] }
        var result: [(String, AlertTemplate)] = []
        for (name, valueNode) in try node.labelEntries("'labels'") {
            let value = try valueNode.string("the value of label '\(name)'")
            result.append((name, try template(value, at: valueNode, templated: templated)))
        }
        return result
    }

    private static func templates(_ node: ConfigNode?, what: String) throws(ConfigError) -> [(String, AlertTemplate)] {
        guard let node else { return [] }
        guard case .mapping(let entries) = node.value else {
            throw node.error("expected \(what) as a mapping of names to texts, found \(node.kindName)")
        }
        var result: [(String, AlertTemplate)] = []
        for entry in entries {
            let value = try entry.value.string("annotation '\(entry.key)'")
            result.append((entry.key, try template(value, at: entry.value, templated: true)))
        }
        return result
    }

    private static func template(_ text: String, at node: ConfigNode, templated: Bool) throws(ConfigError)
        -> AlertTemplate
    {
        guard templated else { return AlertTemplate(constant: text) }
        do {
            return try AlertTemplate(text)
        } catch {
            throw node.error("template error: \(error)")
        }
    }

    static func isValidMetricName(_ name: String) -> Bool { Labels.isClassicMetricName(name) }
}

extension AlertTemplate {
    /// A text used as it is (a recording rule's label values are not templates).
    init(constant text: String) {
        nodes = [.text(text)]
        definitions = [:]
        source = text
    }
}

extension RuleGroup {
    /// Each rule's key in the store: the group, the rule's name, and which of the group's rules of
    /// that name it is (a group may have several alerts of one name, at different thresholds).
    public var ruleKeys: [String] {
        var seen: [String: Int] = [:]
        return rules.map { rule in
            let ordinal = seen[rule.name, default: 0]
            seen[rule.name] = ordinal + 1
            return "\(name)/\(rule.name)/\(ordinal)"
        }
    }
}
