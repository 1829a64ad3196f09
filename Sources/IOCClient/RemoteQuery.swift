import Foundation
public import IOCCore
public import IOCDashboard
public import IOCHTTP
public import IOCQuery
public import IOCStore

/// Queries to another Prometheus-compatible API (another iocd, a central Prometheus) instead of the
/// local store: `ioc query --source URL`. The answer is read back into the same values, so that it
/// prints exactly as a local one does.
public struct RemoteQuery: Sendable {
    public let base: String
    public let client: HTTPClient
    public let timeout: Duration
    /// `Authorization: Bearer ...` when the API asks for a token.
    let headers: [(name: String, value: String)]

    public init(base: String, client: HTTPClient, timeout: Duration = .seconds(30), bearerToken: Secret? = nil) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.client = client
        self.timeout = timeout
        headers = bearerToken.map { [(name: "Authorization", value: "Bearer \($0.value)")] } ?? []
    }

    /// What went wrong in asking another server, in either language (the catalogue's `remote` family).
    public struct RemoteError: Error, CustomStringConvertible, LocalizedText {
        public let key: String
        public let values: [String: String]

        init(_ key: String, _ values: [String: String]) {
            self.key = key
            self.values = values
        }

        public var description: String { text(.en) }
        public func text(_ language: Language) -> String { language.localized(key, values) }
    }

    public func instant(_ query: String, at time: Int64) throws -> QueryValue {
        let data: PrometheusWire.QueryData = try get(
            "/api/v1/query", [("query", query), ("time", PrometheusNumber.formatTimestamp(time))])
        return try data.value()
    }

    public func range(_ query: String, start: Int64, end: Int64, step: Int64) throws -> [Series] {
        let data: PrometheusWire.QueryData = try get(
            "/api/v1/query_range",
            [
                ("query", query), ("start", PrometheusNumber.formatTimestamp(start)),
                ("end", PrometheusNumber.formatTimestamp(end)), ("step", PrometheusNumber.format(Double(step) / 1000)),
            ])
        guard case .matrix(let series) = try data.value() else {
            throw RemoteError("remote.not_matrix", ["url": base])
        }
        return series.map(\.series)
    }

    /// `text` with everything but RFC 3986's unreserved characters percent-encoded: a query value or
    /// a path segment.
    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The `data` of a successful answer; Prometheus' error message otherwise.
    func get<Payload: Decodable>(_ path: String, _ parameters: [(String, String)]) throws -> Payload {
        let query = parameters.map { name, value in "\(name)=\(RemoteQuery.percentEncoded(value))" }
            .joined(separator: "&")
        let answer = client.performWaiting(
            HTTPRequest(url: base + path + "?" + query, headers: headers, timeout: timeout, maxBodyBytes: 64 << 20))
        guard let status = answer.status else {
            throw RemoteError("remote.no_answer", ["url": base, "reason": answer.failure.map { "\($0)" } ?? ""])
        }
        let response: PrometheusWire.Response<Payload>
        do {
            response = try JSONDecoder().decode(PrometheusWire.Response<Payload>.self, from: Data(answer.body))
        } catch {
            throw RemoteError("remote.not_prometheus", ["url": base, "status": String(status)])
        }
        guard response.status == "success", let data = response.data else {
            // The server's words reach a terminal (`ioc query`, the dashboard's banner): bounded, and
            // their control characters written out, as RemoteAlertmanager does with its answers.
            let reason = response.error.map { ControlCharacters.escaped(String($0.prefix(500))) } ?? "HTTP \(status)"
            throw RemoteError("remote.refused", ["url": base, "reason": reason])
        }
        return data
    }
}

extension RemoteQuery {
    /// The alerts of `/api/v1/alerts`, as the store keeps them (their rule unknown).
    public func alerts() throws -> [RuleAlert] {
        let data: PrometheusWire.Alerts = try get("/api/v1/alerts", [])
        return data.alerts.map { RuleAlert(rule: "", alert: $0.alert) }
    }
}

/// `ioc dashboard --source URL`: the figures from another Prometheus-compatible API, the alerts from
/// it or from `--alerts-source` (a national iocd, whose VictoriaMetrics keeps no alerts); silences and
/// the alert log are the local store's business and stay empty.
public final class RemoteDashboardBackend: DashboardBackend {
    let remote: RemoteQuery
    let alertsRemote: RemoteQuery?

    public init(remote: RemoteQuery, alerts: RemoteQuery? = nil) {
        self.remote = remote
        alertsRemote = alerts
    }

    public func instant(_ query: Query, at time: Int64) throws -> QueryValue {
        try remote.instant(query.text, at: time)
    }

    public func range(_ query: Query, start: Int64, end: Int64, step: Int64) throws -> [Series] {
        try remote.range(query.text, start: start, end: end, step: step)
    }

    public func alerts() throws -> [RuleAlert] { try (alertsRemote ?? remote).alerts() }
    public func silences() throws -> [Silence] { [] }
    public func alertHistory(through end: Int64, limit: Int) throws -> [AlertHistoryEntry] { [] }
}
