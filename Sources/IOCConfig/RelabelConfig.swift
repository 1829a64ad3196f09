import IOCCore

extension RelabelRule {
    /// One item of a `write_relabel_configs:` list, in Prometheus' keys and defaults. A rule that
    /// could never do what it says (a `replace` without `target_label`, a `labeldrop` with source
    /// labels) is an error at its line, as Prometheus refuses it.
    init(from node: ConfigNode) throws(ConfigError) {
        let what = "a relabel rule"
        let fields = try node.mapping(
            of: what, allowedKeys: ["source_labels", "separator", "regex", "target_label", "replacement", "action"])
        let actionName = try fields["action"]?.string("'action'").lowercased() ?? "replace"
        guard let action = Action(rawValue: actionName) else {
            throw (fields["action"] ?? node).error(
                "unknown relabel action '\(actionName)'; expected one of: "
                    + Action.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var sources: [String] = []
        for item in try fields["source_labels"]?.sequence(of: "'source_labels'") ?? [] {
            let name = try item.string("a source label")
            guard Labels.isClassicLabelName(name) else { throw item.error("'\(name)' is not a valid label name") }
            sources.append(name)
        }
        let pattern = try fields["regex"]?.string("'regex'") ?? "(.*)"
        let regex: LinearRegex
        do {
            // Compiled as written first, so that an error quotes the pattern and not its anchoring.
            _ = try LinearRegex(pattern)
            regex = try LinearRegex(pattern, anchored: true)
        } catch {
            throw (fields["regex"] ?? node).error("\(error)")
        }
        let target = try fields["target_label"]?.string("'target_label'") ?? ""
        switch action {
        case .replace, .lowercase, .uppercase:
            guard !target.isEmpty else { throw node.error("relabel action '\(actionName)' needs 'target_label'") }
            if action != .replace, !Labels.isClassicLabelName(target) {
                throw node.error("'\(target)' is not a valid label name for 'target_label'")
            }
        case .labeldrop, .labelkeep:
            guard sources.isEmpty, target.isEmpty else {
                throw node.error("relabel action '\(actionName)' takes only 'regex'")
            }
        case .keep, .drop:
            guard !sources.isEmpty else { throw node.error("relabel action '\(actionName)' needs 'source_labels'") }
        case .labelmap:
            break
        }
        self.init(
            sourceLabels: sources, separator: try fields["separator"]?.string("'separator'") ?? ";", regex: regex,
            targetLabel: target, replacement: try fields["replacement"]?.string("'replacement'") ?? "$1",
            action: action)
    }

    /// A `write_relabel_configs:`-style list.
    static func list(from node: ConfigNode?, what: String) throws(ConfigError) -> [RelabelRule] {
        var rules: [RelabelRule] = []
        for item in try node?.sequence(of: what) ?? [] { rules.append(try RelabelRule(from: item)) }
        return rules
    }
}
