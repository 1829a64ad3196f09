public import IOCCore

/// The contents of one `probes/*.yaml` file: groups of targets sharing a job name, labels and timing.
///
/// ```yaml
/// groups:
///   - name: hue                  # the `job` label
///     interval: 15s
///     timeout: 5s
///     labels: { province: Huế }
///     targets:
///       - url: https://dichvucong.hue.gov.vn/
///         labels: { service: dvc }
/// ```
public enum ProbeFile {
    public static let defaultInterval: Duration = .seconds(15)

    /// Reads the targets of one parsed probe file. Throws the first problem, with its location.
    public static func targets(from root: ConfigNode) throws(ConfigError) -> [ProbeTarget] {
        if case .null = root.value { return [] }
        let file = try root.mapping(of: "a probe file", allowedKeys: ["groups"])
        var targets: [ProbeTarget] = []
        for groupNode in try file["groups"]?.sequence(of: "'groups'") ?? [] {
            targets += try group(groupNode)
        }
        return targets
    }

    private static func group(_ node: ConfigNode) throws(ConfigError) -> [ProbeTarget] {
        let group = try node.mapping(
            of: "a probe group", allowedKeys: ["name", "interval", "timeout", "labels", "targets"])
        let nameNode = try group.required("name")
        let name = try nameNode.string("the group name")
        guard !name.isEmpty else { throw nameNode.error("the group name must not be empty") }
        let interval = try positive(group["interval"], "'interval'") ?? defaultInterval
        let timeout = try positive(group["timeout"], "'timeout'")
        let labels = try group["labels"]?.labels("group labels") ?? []
        var targets: [ProbeTarget] = []
        for targetNode in try group["targets"]?.sequence(of: "'targets'") ?? [] {
            targets.append(
                try target(targetNode, job: name, groupLabels: labels, interval: interval, timeout: timeout))
        }
        return targets
    }

    private static func target(
        _ node: ConfigNode, job: String, groupLabels: [(String, String)], interval groupInterval: Duration,
        timeout groupTimeout: Duration?
    ) throws(ConfigError) -> ProbeTarget {
        let target = try node.mapping(of: "a target", allowedKeys: ["url", "interval", "timeout", "labels"])
        let urlNode = try target.required("url")
        let url = try urlNode.string("'url'")
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.count > 8, !url.contains(" ") else {
            throw urlNode.error("'\(url)' is not an http:// or https:// URL")
        }
        let interval = try positive(target["interval"], "'interval'") ?? groupInterval
        // Without a timeout, a probe may take most of its interval, and never more than 10 s.
        let timeout =
            try positive(target["timeout"], "'timeout'") ?? groupTimeout
            ?? min(.seconds(10), .milliseconds(interval.inMilliseconds * 4 / 5))
        guard timeout < interval else {
            let place = target["timeout"] ?? target["interval"] ?? node
            throw place.error(
                "'timeout' (\(timeout.prometheusString)) must be shorter than 'interval' (\(interval.prometheusString))"
            )
        }
        let targetLabels = try target["labels"]?.labels("target labels") ?? []
        let labels = Labels([("job", job), ("instance", url)] + groupLabels + targetLabels)
        return ProbeTarget(labels: labels, url: url, interval: interval, timeout: timeout, location: node.location)
    }

    private static func positive(_ node: ConfigNode?, _ what: String) throws(ConfigError) -> Duration? {
        guard let node else { return nil }
        let duration = try node.duration(what)
        guard duration > .zero else { throw node.error("\(what) must be longer than zero") }
        return duration
    }

    /// Checks targets from several files together: two targets with the same labels would write the
    /// same series.
    public static func checkUnique(_ targets: [ProbeTarget]) throws(ConfigError) {
        var seen: [Labels: SourceLocation] = [:]
        for target in targets {
            if let first = seen[target.labels] {
                throw ConfigError(
                    at: target.location,
                    "target \(target.instance) in job '\(target.job)' is already defined at \(first)")
            }
            seen[target.labels] = target.location
        }
    }
}
