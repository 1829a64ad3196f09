import Foundation
import IOCAlert
import IOCCore
import IOCQuery
import IOCStore

/// Alertmanager's API v2 on iocd's listener, enough for `amtool` and Grafana's Alertmanager data
/// source: `GET /api/v2/status`, `GET /api/v2/receivers`, `GET /api/v2/alerts` and
/// `/api/v2/alerts/groups` (the firing alerts, each with the silences and alerts that mute it),
/// `GET/POST /api/v2/silences`, `GET/DELETE /api/v2/silence/{id}`. Silences are the store's, the
/// same `ioc silence` writes, so that one added here mutes notifications as that one does.
struct AlertmanagerAPI: Sendable {
    let readers: ReaderPool
    /// The store's file, for a connection that writes silences.
    let storePath: String
    /// The notifications of the running configuration: routes, receivers, inhibition.
    let notifications: @Sendable () -> NotifierConfig
    let clock: @Sendable () -> Int64

    func handle(_ request: APIRequest) -> APIResponse {
        let path = request.path
        switch (request.method, path) {
        case ("GET", "/api/v2/status"): return status()
        case ("GET", "/api/v2/receivers"):
            let names = notifications().receivers.keys.sorted().map { #"{"name":\#(PrometheusWire.json($0))}"# }
            return .json("[" + names.joined(separator: ",") + "]")
        case ("GET", "/api/v2/alerts"): return alerts(request, grouped: false)
        case ("GET", "/api/v2/alerts/groups"): return alerts(request, grouped: true)
        case ("GET", "/api/v2/silences"): return silences(request)
        case ("POST", "/api/v2/silences"): return addSilence(request)
        case (_, let path) where path.hasPrefix("/api/v2/silence/"):
            let id = String(path.dropFirst("/api/v2/silence/".count))
            // A UUID in its 8-4-4-4-12 hexadecimal form, in either case, as Alertmanager takes it.
            guard UUID(uuidString: id) != nil else {
                // Alertmanager's own validation error for its path parameter, as it words it.
                let message = PrometheusWire.json("silenceID in path must be of type uuid: \"\(id)\"")
                return .json(#"{"code":601,"message":"# + message + "}", status: 422)
            }
            switch request.method {
            case "GET": return silence(id)
            case "DELETE": return expire(id)
            default: return AlertmanagerAPI.problem("method \(request.method) not allowed", status: 405)
            }
        case ("POST", "/api/v2/alerts"):
            return AlertmanagerAPI.problem("iocd makes its own alerts from its rules; it does not take others'")
        default: return AlertmanagerAPI.problem("\(path) not found", status: 404)
        }
    }

    /// Alertmanager answers errors with a JSON string.
    static func problem(_ message: String, status: Int = 400) -> APIResponse {
        .json(PrometheusWire.json(message), status: status)
    }

    /// A request that cannot be answered otherwise: the answer it gets.
    struct Refusal: Error { var response: APIResponse }

    private func status() -> APIResponse {
        let version = [
            ("branch", ""), ("buildDate", IOCVersion.buildDate), ("buildUser", ""),
            ("goVersion", "swift" + IOCVersion.swiftVersion), ("revision", IOCVersion.revision),
            ("version", IOCVersion.current),
        ].map { "\(PrometheusWire.json($0)):\(PrometheusWire.json($1))" }.joined(separator: ",")
        let uptime = UTCTime.rfc3339(Int64(SelfMetrics.started * 1000))
        let original = "# iocd: routes, receivers and inhibit rules are the notifications section of iocd.yaml\n"
        return .json(
            #"{"cluster":{"name":"","peers":[],"status":"disabled"},"config":{"original":\#(PrometheusWire.json(original))},"#
                + #""uptime":\#(PrometheusWire.json(uptime)),"versionInfo":{\#(version)}}"#)
    }

    // MARK: Alerts

    /// One firing alert with what mutes it.
    private struct Entry {
        var alert: Alert
        var receivers: [String]
        var silencedBy: [String]
        var inhibitedBy: [String]
        var state: String { silencedBy.isEmpty && inhibitedBy.isEmpty ? "active" : "suppressed" }
    }

    /// `filter` (matchers, each as `name="value"`), `active`, `silenced`, `inhibited` (true unless
    /// false) and `receiver` (a regular expression), as Alertmanager reads them.
    private func alerts(_ request: APIRequest, grouped: Bool) -> APIResponse {
        let now = clock()
        let config = notifications()
        let filter: [LabelMatcher]
        switch AlertmanagerAPI.filter(request) {
        case .success(let matchers): filter = matchers
        case .failure(let refusal): return refusal.response
        }
        var receiver: LabelMatcher?
        if let pattern = request.first("receiver") {
            guard let regex = try? LabelMatcher("receiver", .matchesRegex, pattern) else {
                return AlertmanagerAPI.problem("invalid receiver regular expression \(pattern)")
            }
            receiver = regex
        }
        let stored: [Alert]
        let silences: [Silence]
        do {
            (stored, silences) = try readers.with { reader in
                (
                    try reader.alerts().map(\.alert).filter { $0.state == .firing },
                    try reader.silences(parsing: Selector.matchers(parsing:))
                )
            }
        } catch {
            return AlertmanagerAPI.problem("\(error)", status: 500)
        }
        let active = stored.map(\.labels)
        let want = { (name: String) in request.first(name).map { $0 != "false" } ?? true }
        let entries = stored.compactMap { alert -> Entry? in
            guard filter.allSatisfy({ $0.matches(alert.labels) }) else { return nil }
            let receivers = NotifierState.routes(for: alert.labels, in: config.route).map(\.1.receiver)
            if let receiver, !receivers.contains(where: { receiver.matches($0 as String?) }) { return nil }
            let entry = Entry(
                alert: alert, receivers: receivers,
                silencedBy: silences.filter { $0.isActive(at: now) && $0.silences(alert.labels) }.map(\.id),
                inhibitedBy: config.inhibitRules.flatMap { rule in
                    active.filter { rule.inhibits(alert.labels, by: $0) }.map(NotificationPayload.fingerprint)
                })
            let shown =
                (entry.silencedBy.isEmpty && entry.inhibitedBy.isEmpty && want("active"))
                || (!entry.silencedBy.isEmpty && want("silenced")) || (!entry.inhibitedBy.isEmpty && want("inhibited"))
            return shown ? entry : nil
        }
        guard grouped else { return .json("[" + entries.map(AlertmanagerAPI.json).joined(separator: ",") + "]") }
        return .json(AlertmanagerAPI.groups(entries, config: config))
    }

    private static func labelsJSON(_ labels: Labels) -> String {
        "{"
            + labels.pairs.map { "\(PrometheusWire.json($0.name)):\(PrometheusWire.json($0.value))" }
            .joined(separator: ",") + "}"
    }

    private static func json(_ entry: Entry) -> String {
        let alert = entry.alert
        let started = UTCTime.rfc3339(alert.firedAt ?? alert.activeAt)
        var text = #"{"annotations":\#(labelsJSON(alert.annotations)),"#
        text +=
            #""endsAt":"0001-01-01T00:00:00.000Z","fingerprint":"\#(NotificationPayload.fingerprint(alert.labels))","#
        text +=
            #""receivers":[\#(entry.receivers.map { #"{"name":\#(PrometheusWire.json($0))}"# }.joined(separator: ","))],"#
        text += #""startsAt":"\#(started)","updatedAt":"\#(started)","generatorURL":"","#
        text += #""status":{"inhibitedBy":[\#(entry.inhibitedBy.map(PrometheusWire.json).joined(separator: ","))],"#
        text += #""silencedBy":[\#(entry.silencedBy.map(PrometheusWire.json).joined(separator: ","))],"#
        text += #""state":"\#(entry.state)"},"labels":\#(labelsJSON(alert.labels))}"#
        return text
    }

    /// Alerts grouped as the routes group them: per receiver, by the route's `group_by` labels.
    private static func groups(_ entries: [Entry], config: NotifierConfig) -> String {
        var order: [String] = []
        var members: [String: (receiver: String, labels: Labels, alerts: [String])] = [:]
        for entry in entries {
            for (path, route) in NotifierState.routes(for: entry.alert.labels, in: config.route) {
                let labels =
                    route.groupBy.map { names in
                        Labels(names.compactMap { name in entry.alert.labels[name].map { (name, $0) } })
                    } ?? entry.alert.labels
                let key = "\(path):\(labels)"
                if members[key] == nil {
                    order.append(key)
                    members[key] = (route.receiver, labels, [])
                }
                members[key]?.alerts.append(json(entry))
            }
        }
        let groups = order.compactMap { members[$0] }.map { group in
            #"{"alerts":[\#(group.alerts.joined(separator: ","))],"labels":\#(labelsJSON(group.labels)),"#
                + #""receiver":{"name":\#(PrometheusWire.json(group.receiver))}}"#
        }
        return "[" + groups.joined(separator: ",") + "]"
    }

    /// The `filter` parameters: Alertmanager's matcher syntax, which PromQL's selector reads.
    static func filter(_ request: APIRequest) -> Result<[LabelMatcher], Refusal> {
        let given = request.all("filter")
        guard !given.isEmpty else { return .success([]) }
        do {
            let text = given.map {
                $0.hasPrefix("{") ? String($0.dropFirst().dropLast()) : LabelMatcher.quotingValue($0)
            }
            return .success(try Selector(parsing: "{" + text.joined(separator: ",") + "}").matchers)
        } catch {
            return .failure(Refusal(response: problem("bad matcher format: \(given.joined(separator: ", "))")))
        }
    }
}
