public import IOCCore

/// The contents of one `probes/*.yaml` file: groups of targets sharing a job name, labels, timing and
/// probe settings. `probes/example.yaml` documents every key.
///
/// ```yaml
/// groups:
///   - name: hue                  # the `job` label
///     interval: 15s
///     labels: { province: Huế }
///     expect: [{ status: 2xx }, { max_latency: 2s, severity: warning }]
///     targets:
///       - url: https://dichvucong.hue.gov.vn/
///         labels: { service: dvc }
///       - tcp: mail.hue.gov.vn:25
///         labels: { service: mail }
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
            of: "a probe group", allowedKeys: ["name", "interval", "timeout", "labels", "targets"] + ProbeSettings.keys)
        let nameNode = try group.required("name")
        let name = try nameNode.string("the group name")
        guard !name.isEmpty else { throw nameNode.error("the group name must not be empty") }
        let defaults = GroupDefaults(
            job: name,
            labels: try group["labels"]?.labels("group labels") ?? [],
            interval: try positive(group["interval"], "'interval'") ?? defaultInterval,
            timeout: try positive(group["timeout"], "'timeout'"),
            settings: try ProbeSettings(from: group))
        var targets: [ProbeTarget] = []
        for targetNode in try group["targets"]?.sequence(of: "'targets'") ?? [] {
            targets.append(try target(targetNode, defaults))
        }
        return targets
    }

    private struct GroupDefaults {
        var job: String
        var labels: [(String, String)]
        var interval: Duration
        var timeout: Duration?
        var settings: ProbeSettings
    }

    private static func target(_ node: ConfigNode, _ group: GroupDefaults) throws(ConfigError) -> ProbeTarget {
        let target = try node.mapping(
            of: "a target", allowedKeys: ["url", "tcp", "interval", "timeout", "labels"] + ProbeSettings.keys)
        let settings = group.settings.overridden(by: try ProbeSettings(from: target))
        let kind: ProbeTarget.Kind
        let instance: String
        switch (target["url"], target["tcp"]) {
        case (let urlNode?, nil):
            let url = try urlNode.string("'url'")
            let lowered = url.lowercased()
            guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.count > 8, !url.contains(" ")
            else {
                throw urlNode.error("'\(url)' is not an http:// or https:// URL")
            }
            var probe = HTTPProbe(url: url)
            try settings.apply(to: &probe)
            kind = .http(probe)
            instance = url
        case (nil, let tcpNode?):
            let text = try tcpNode.string("'tcp'")
            guard let (host, port) = parseAddress(text) else {
                throw tcpNode.error("'\(text)' is not HOST:PORT (e.g. mail.hue.gov.vn:25 or [2001:db8::1]:443)")
            }
            var probe = TCPProbe(host: host, port: port)
            try settings.apply(to: &probe)
            kind = .tcp(probe)
            instance = text
        case (.some, .some):
            throw node.error("a target has either 'url' (HTTP) or 'tcp' (a TCP port), not both")
        case (nil, nil):
            throw node.error("a target is missing the required key 'url' (or 'tcp' for a TCP port)")
        }
        let interval = try positive(target["interval"], "'interval'") ?? group.interval
        // Without a timeout, a probe may take most of its interval, and never more than 10 s.
        let timeout =
            try positive(target["timeout"], "'timeout'") ?? group.timeout
            ?? min(.seconds(10), .milliseconds(interval.inMilliseconds * 4 / 5))
        guard timeout < interval else {
            let place = target["timeout"] ?? target["interval"] ?? node
            throw place.error(
                "'timeout' (\(timeout.prometheusString)) must be shorter than 'interval' (\(interval.prometheusString))"
            )
        }
        let targetLabels = try target["labels"]?.labels("target labels") ?? []
        let labels = Labels([("job", group.job), ("instance", instance)] + group.labels + targetLabels)
        return ProbeTarget(labels: labels, kind: kind, interval: interval, timeout: timeout, location: node.location)
    }

    /// `host:port` or `[v6address]:port`.
    public static func parseAddress(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            return nil
        }
        guard !host.isEmpty, !host.contains(" "), !host.contains("/") else { return nil }
        return (host, port)
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
