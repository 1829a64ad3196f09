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
            of: "a target",
            allowedKeys: ["url", "tcp", "feed", "interval", "timeout", "labels"] + feedKeys + ProbeSettings.keys)
        let settings = group.settings.overridden(by: try ProbeSettings(from: target))
        let kinds = ["url", "tcp", "feed"].filter { target[$0] != nil }
        guard kinds.count == 1 else {
            throw node.error(
                kinds.isEmpty
                    ? "a target is missing the required key 'url' (or 'tcp' for a TCP port, 'feed' for a metrics feed)"
                    : "a target has one of 'url' (HTTP), 'tcp' (a TCP port) or 'feed' (a metrics feed), not "
                        + kinds.joined(separator: " and "))
        }
        if target["feed"] == nil, let key = feedKeys.first(where: { target[$0] != nil }), let place = target[key] {
            throw place.error("'\(key)' applies to feed targets only")
        }
        let kind: ProbeTarget.Kind
        let instance: String
        switch (target["url"], target["tcp"]) {
        case (let urlNode?, nil):
            let url = try urlNode.httpURL("'url'")
            var probe = HTTPProbe(url: url)
            try settings.apply(to: &probe)
            kind = .http(probe)
            instance = url
        case (nil, nil):
            let feedNode = try target.required("feed")
            let url = try feedNode.httpURL("'feed'")
            var feed = FeedProbe(url: url)
            try settings.apply(to: &feed)
            try readFeedSettings(target, into: &feed)
            kind = .feed(feed)
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
            preconditionFailure("checked above: a target has exactly one kind")
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

    static let feedKeys = ["format", "json", "sample_limit"]

    private static func readFeedSettings(_ target: ConfigMapping, into feed: inout FeedProbe) throws(ConfigError) {
        if let formatNode = target["format"] {
            let text = try formatNode.string("'format'")
            guard let format = FeedProbe.Format(rawValue: text) else {
                throw formatNode.error("'\(text)' is not a feed format; expected auto, prometheus, openmetrics or json")
            }
            feed.format = format
        }
        if let limitNode = target["sample_limit"] {
            let limit = try limitNode.int("'sample_limit'")
            guard limit > 0 else { throw limitNode.error("'sample_limit' must be positive") }
            feed.sampleLimit = limit
        }
        if let jsonNode = target["json"] {
            let json = try jsonNode.mapping(of: "'json'", allowedKeys: ["items", "labels", "metrics"])
            func path(_ node: ConfigNode, _ what: String) throws(ConfigError) -> JSONPath {
                do {
                    return try JSONPath(parsing: try node.string(what))
                } catch let error as JSONConditionError {
                    throw node.error(error.description)
                } catch {
                    throw error as? ConfigError ?? node.error("\(error)")
                }
            }
            func paths(_ key: String, metricNames: Bool) throws(ConfigError) -> [(name: String, path: JSONPath)] {
                guard let mappingNode = json[key] else { return [] }
                guard case .mapping(let entries) = mappingNode.value else {
                    throw mappingNode.error("expected '\(key)' as a mapping of names to JSON paths")
                }
                var result: [(name: String, path: JSONPath)] = []
                for entry in entries {
                    let valid =
                        metricNames ? Labels.isClassicMetricName(entry.key) : ConfigNode.isValidLabelName(entry.key)
                    guard valid else {
                        throw ConfigError(
                            at: entry.keyLocation,
                            "'\(entry.key)' is not a valid \(metricNames ? "metric" : "label") name")
                    }
                    result.append((entry.key, try path(entry.value, "a JSON path")))
                }
                return result
            }
            let metrics = try paths("metrics", metricNames: true)
            guard !metrics.isEmpty else {
                throw jsonNode.error("'json' needs 'metrics': names of series and the paths of their values")
            }
            feed.json = JSONFeedMapping(
                items: try json["items"].map { node throws(ConfigError) in try path(node, "'items'") },
                labels: try paths("labels", metricNames: false), metrics: metrics)
            if feed.format == .auto { feed.format = .json }
        } else if feed.format == .json, let formatNode = target["format"] {
            throw formatNode.error("format json needs a 'json' mapping of fields to series")
        }
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
