import IOCAlert
import IOCCore
import IOCQuery

/// `/api/v1/rules`, in Prometheus' words.
extension PrometheusAPI {
    /// Prometheus' `/api/v1/rules`: the groups and their rules, with each one's health, last error,
    /// time of its last evaluation and how long that took (seconds); an alerting rule's state, hold,
    /// labels and annotations (as written) and its pending and firing alerts. `type=alert` or
    /// `type=record` keeps one kind (groups left empty stay, as in Prometheus).
    func rulesList(_ request: APIRequest) -> APIResponse {
        let kind = request.first("type")?.lowercased() ?? ""
        guard ["", "alert", "record"].contains(kind) else {
            return .error("invalid parameter \"type\": not supported value \(PrometheusWire.json(kind))")
        }
        let groups = rules()
        // The alerts as the writer last stored them, by rule key; resolved ones are not the rule's.
        var active: [String: [Alert]] = [:]
        if groups.contains(where: { $0.group.rules.contains(where: \.isAlert) }) {
            let stored = (try? readers.with { try $0.alerts() }) ?? []
            for record in stored where record.alert.state != .inactive {
                active[record.rule, default: []].append(record.alert)
            }
        }
        let texts = groups.map { group, status in
            let evaluated = (status?.lastEvaluation ?? 0) > 0
            let items = zip(group.rules, group.ruleKeys).enumerated().compactMap { index, pair -> String? in
                let (rule, key) = pair
                guard kind.isEmpty || (kind == "alert") == rule.isAlert else { return nil }
                let error = status.flatMap { index < $0.ruleErrors.count ? $0.ruleErrors[index] : nil }
                let duration = status.flatMap { index < $0.ruleDurations.count ? $0.ruleDurations[index] : nil }
                var item = "{"
                if case .alerting(let holdFor, let keepFiringFor, let annotations) = rule.kind {
                    let alerts = active[key] ?? []
                    let state =
                        alerts.contains { $0.state == .firing }
                        ? "firing" : alerts.contains { $0.state == .pending } ? "pending" : "inactive"
                    item += #""state":"\#(state)","name":\#(PrometheusWire.json(rule.name)),"#
                    item += #""query":\#(PrometheusWire.json(rule.expression.text)),"#
                    item += #""duration":\#(PrometheusAPI.seconds(holdFor)),"#
                    item += #""keepFiringFor":\#(PrometheusAPI.seconds(keepFiringFor)),"#
                    item += #""labels":\#(PrometheusAPI.templates(rule.labels)),"#
                    item += #""annotations":\#(PrometheusAPI.templates(annotations)),"#
                    item += #""alerts":\#(PrometheusWire.Alerts(alerts).list),"#
                } else {
                    item += #""name":\#(PrometheusWire.json(rule.name)),"#
                    item += #""query":\#(PrometheusWire.json(rule.expression.text)),"#
                    if !rule.labels.isEmpty { item += #""labels":\#(PrometheusAPI.templates(rule.labels)),"# }
                }
                item += #""health":"\#(!evaluated ? "unknown" : error == nil ? "ok" : "err")","#
                if let error { item += #""lastError":\#(PrometheusWire.json(error)),"# }
                item += #""evaluationTime":\#(PrometheusAPI.seconds(duration ?? .zero)),"#
                item += #""lastEvaluation":\#(PrometheusAPI.evaluationTime(evaluated ? status?.lastEvaluation : nil)),"#
                item += #""type":"\#(rule.isAlert ? "alerting" : "recording")"}"#
                return item
            }
            var text = #"{"name":\#(PrometheusWire.json(group.name)),"file":\#(PrometheusWire.json(group.file)),"#
            text += #""rules":[\#(items.joined(separator: ","))],"#
            if let interval = group.interval { text += #""interval":\#(PrometheusAPI.seconds(interval)),"# }
            text += #""limit":\#(group.limit),"#
            text += #""evaluationTime":\#(PrometheusAPI.seconds(status?.duration ?? .zero)),"#
            text += #""lastEvaluation":\#(PrometheusAPI.evaluationTime(evaluated ? status?.lastEvaluation : nil))}"#
            return text
        }
        return success(#"{"groups":["# + texts.joined(separator: ",") + "]}")
    }

    /// A rule's labels or annotations as written (templates unexpanded), as Prometheus lists them.
    static func templates(_ pairs: [(String, AlertTemplate)]) -> String {
        PrometheusWire.json(Labels(pairs.map { ($0.0, $0.1.source) }))
    }

    static func seconds(_ duration: Duration) -> String { PrometheusNumber.format(duration.inSeconds) }

    /// RFC 3339 with nanoseconds, as Prometheus writes it; Go's zero time before the first.
    static func evaluationTime(_ milliseconds: Int64?) -> String {
        guard let milliseconds else { return #""0001-01-01T00:00:00Z""# }
        return PrometheusWire.json(UTCTime.rfc3339(milliseconds))
    }
}
