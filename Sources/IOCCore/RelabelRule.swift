/// One step of Prometheus' relabelling (`relabel_configs`, `write_relabel_configs`), with its
/// semantics: the source labels' values joined by `separator` are matched against `regex`, which
/// must match the whole text; `replace` writes `replacement` (with `$1`, `${name}` from the match)
/// to `targetLabel`, and an empty result removes that label; `keep` and `drop` keep or drop the
/// series on a match; `labelmap`, `labeldrop` and `labelkeep` match label names instead;
/// `lowercase` and `uppercase` write the joined value so cased to `targetLabel`.
public struct RelabelRule: Sendable {
    public enum Action: String, Sendable, CaseIterable {
        case replace, keep, drop, labelmap, labeldrop, labelkeep, lowercase, uppercase
    }

    public var sourceLabels: [String]
    public var separator: String
    public var regex: LinearRegex
    public var targetLabel: String
    public var replacement: String
    public var action: Action

    /// Prometheus' defaults: `;`, `(.*)`, `$1`, `replace`.
    public init(
        sourceLabels: [String] = [], separator: String = ";", regex: LinearRegex, targetLabel: String = "",
        replacement: String = "$1", action: Action = .replace
    ) {
        self.sourceLabels = sourceLabels
        self.separator = separator
        self.regex = regex
        self.targetLabel = targetLabel
        self.replacement = replacement
        self.action = action
    }

    /// `labels` after the rules in order, or nil when a rule drops the series or no label is left.
    public static func apply(_ rules: [RelabelRule], to labels: Labels) -> Labels? {
        var labels = labels
        for rule in rules {
            guard let next = rule.apply(to: labels) else { return nil }
            labels = next
        }
        return labels.pairs.isEmpty ? nil : labels
    }

    /// `labels` after this rule, or nil when it drops the series.
    public func apply(to labels: Labels) -> Labels? {
        let value = sourceLabels.map { labels[$0] ?? "" }.joined(separator: separator)
        switch action {
        case .keep: return regex.matchesWhole(value) ? labels : nil
        case .drop: return regex.matchesWhole(value) ? nil : labels
        case .labeldrop: return labels.keeping { !regex.matchesWhole($0) }
        case .labelkeep: return labels.keeping { regex.matchesWhole($0) }
        case .lowercase: return setting(targetLabel, value.lowercased(), in: labels)
        case .uppercase: return setting(targetLabel, value.uppercased(), in: labels)
        case .labelmap:
            var changes: [String: String] = [:]
            for pair in labels.pairs where regex.matchesWhole(pair.name) {
                changes[regex.replaceAll(in: pair.name, with: replacement)] = pair.value
            }
            let valid = changes.filter { Labels.isClassicLabelName($0.key) }
            return labels.applying(valid.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) })
        case .replace:
            let utf8 = Array(value.utf8)
            guard let groups = regex.match(utf8, anchored: true) else { return labels }
            let target = String(decoding: regex.expand(targetLabel, groups: groups, in: utf8), as: UTF8.self)
            guard Labels.isClassicLabelName(target) else { return labels }
            let result = String(decoding: regex.expand(replacement, groups: groups, in: utf8), as: UTF8.self)
            return setting(target, result, in: labels)
        }
    }

    private func setting(_ name: String, _ value: String, in labels: Labels) -> Labels {
        labels.applying([(name: name, value: value)])
    }
}
