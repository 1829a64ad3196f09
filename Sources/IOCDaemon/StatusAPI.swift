import Foundation
import IOCCore
import IOCProbe
import IOCQuery
import IOCStore

/// What Grafana and other Prometheus clients ask of a server beside queries, in Prometheus' shapes:
/// `/api/v1/status/buildinfo` (which ioc's offline API answers too), `/api/v1/targets` (the probe targets, each with its last probe) and
/// `/api/v1/metadata` (HELP and TYPE of the probes' series and of what feeds described).
struct StatusAPI: Sendable {
    /// The targets being probed, each with its last probe once it has had one.
    let targets: @Sendable () -> [(target: ProbeTarget, last: TargetHealthLog.LastProbe?)]

    func handle(_ request: APIRequest, readers: ReaderPool) -> APIResponse {
        request.path == "/api/v1/targets" ? targetList(request) : metadata(request, readers: readers)
    }

    private static func success(_ data: String) -> APIResponse { .json(#"{"status":"success","data":\#(data)}"#) }

    /// Prometheus' fields; `goVersion` carries the compiler, as a client that reads it expects a string.
    static func buildInfo() -> APIResponse {
        let fields = [
            ("version", IOCVersion.current), ("revision", IOCVersion.revision), ("branch", ""), ("buildUser", ""),
            ("buildDate", IOCVersion.buildDate), ("goVersion", "swift" + IOCVersion.swiftVersion),
        ]
        return success(
            "{" + fields.map { "\(PrometheusWire.json($0)):\(PrometheusWire.json($1))" }.joined(separator: ",") + "}")
    }

    /// `state` (active, dropped, any, or empty for any) and `scrapePool` (a job) filter, as in
    /// Prometheus, which lists neither kind for another state and both lists always; iocd drops no
    /// target, so `droppedTargets` is empty.
    private func targetList(_ request: APIRequest) -> APIResponse {
        let state = request.first("state")?.lowercased() ?? ""
        let pool = request.first("scrapePool")
        var active: [String] = []
        if ["", "any", "active"].contains(state) {
            for (target, last) in targets() where pool == nil || target.job == pool {
                active.append(StatusAPI.json(target, last))
            }
        }
        return StatusAPI.success(#"{"activeTargets":[\#(active.joined(separator: ","))],"droppedTargets":[]}"#)
    }

    private static func json(_ target: ProbeTarget, _ last: TargetHealthLog.LastProbe?) -> String {
        let labels = target.labels.pairs.map { "\(PrometheusWire.json($0.name)):\(PrometheusWire.json($0.value))" }
        let address = PrometheusWire.json(target.address)
        let health = last.map { $0.success ? "up" : "down" } ?? "unknown"
        let lastScrape = last.map { UTCTime.rfc3339($0.time) } ?? "0001-01-01T00:00:00Z"
        var text = #"{"discoveredLabels":{"__address__":\#(address),"job":\#(PrometheusWire.json(target.job))},"#
        text += #""labels":{\#(labels.joined(separator: ","))},"#
        text += #""scrapePool":\#(PrometheusWire.json(target.job)),"scrapeUrl":\#(address),"globalUrl":\#(address),"#
        text += #""lastError":\#(PrometheusWire.json(last?.error ?? "")),"#
        text += #""lastScrape":\#(PrometheusWire.json(lastScrape)),"#
        text += #""lastScrapeDuration":\#(PrometheusNumber.format(last?.duration ?? 0)),"#
        text += #""health":"\#(health)","#
        text += #""scrapeInterval":\#(PrometheusWire.json(target.interval.prometheusString)),"#
        text += #""scrapeTimeout":\#(PrometheusWire.json(target.timeout.prometheusString))}"#
        return text
    }

    /// `{"name":[{"type","help","unit"}]}`: the probes' own series, then what feeds said of theirs
    /// (a feed's word wins for a name it uses). `metric` picks one name, `limit` bounds the names
    /// as in Prometheus: a negative one does not, zero lists none.
    private func metadata(_ request: APIRequest, readers: ReaderPool) -> APIResponse {
        var limit = Int.max
        if let text = request.first("limit"), !text.isEmpty {
            guard let value = Int(text) else { return .error("limit must be a number") }
            if value >= 0 { limit = value }
        }
        var known = ProbeResult.metadata
        do {
            known.merge(try readers.with { try $0.metadata() }) { $1 }
        } catch {
            return .error("\(error)", type: "execution", status: 422)
        }
        let metric = request.first("metric")
        let names = known.keys.sorted().filter { metric == nil || $0 == metric }.prefix(limit)
        let items = names.map { name -> String in
            let entry = known[name] ?? MetricMetadata()
            let fields = [
                #""type":\#(PrometheusWire.json(entry.type ?? "unknown"))"#,
                #""help":\#(PrometheusWire.json(entry.help ?? ""))"#,
                #""unit":\#(PrometheusWire.json(entry.unit ?? ""))"#,
            ]
            return "\(PrometheusWire.json(name)):[{\(fields.joined(separator: ","))}]"
        }
        return StatusAPI.success("{" + items.joined(separator: ",") + "}")
    }
}
