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

    public init(base: String, client: HTTPClient) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.client = client
    }

    public struct RemoteError: Error, CustomStringConvertible {
        public var description: String
    }

    public func instant(_ query: String, at time: Int64) throws -> QueryValue {
        let data = try get(
            "/api/v1/query", [("query", query), ("time", PrometheusNumber.formatTimestamp(time))])
        return try RemoteQuery.value(data, at: time)
    }

    public func range(_ query: String, start: Int64, end: Int64, step: Int64) throws -> [Series] {
        let data = try get(
            "/api/v1/query_range",
            [
                ("query", query), ("start", PrometheusNumber.formatTimestamp(start)),
                ("end", PrometheusNumber.formatTimestamp(end)), ("step", PrometheusNumber.format(Double(step) / 1000)),
            ])
        guard case .matrix(let series) = try RemoteQuery.value(data, at: end) else {
            throw RemoteError(description: "\(base) did not answer a range query with a matrix")
        }
        return series.map(\.series)
    }

    /// The `data` object of a successful answer; Prometheus' error message otherwise.
    func get(_ path: String, _ parameters: [(String, String)]) throws -> [String: Any] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = parameters.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
        let answer = client.performWaiting(
            HTTPRequest(url: base + path + "?" + query, timeout: .seconds(30), maxBodyBytes: 64 << 20))
        guard let status = answer.status else {
            throw RemoteError(description: "\(base) did not answer: \(answer.failure.map { "\($0)" } ?? "")")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any] else {
            throw RemoteError(description: "\(base) answered HTTP \(status) without Prometheus' JSON")
        }
        guard object["status"] as? String == "success", let data = object["data"] as? [String: Any] else {
            throw RemoteError(description: "\(base): \(object["error"] as? String ?? "HTTP \(status)")")
        }
        return data
    }

    static func labels(_ object: Any?) -> Labels {
        Labels(((object as? [String: String]) ?? [:]).map { ($0.key, $0.value) })
    }

    static func point(_ object: Any?) -> Sample? {
        guard let pair = object as? [Any], pair.count == 2, let time = (pair[0] as? NSNumber)?.doubleValue,
            let text = pair[1] as? String, let value = PrometheusNumber.parse(text)
        else { return nil }
        // A remote server's times are input like any other: one beyond Int64 is no point.
        guard let milliseconds = Int64(exactly: (time * 1000).rounded()) else { return nil }
        return Sample(timestamp: milliseconds, value: value)
    }

    static func value(_ data: [String: Any], at time: Int64) throws -> QueryValue {
        let result = data["result"]
        switch data["resultType"] as? String {
        case "scalar":
            guard let sample = point(result) else { throw RemoteError(description: "a malformed scalar") }
            return .scalar(sample.value)
        case "vector":
            let items = (result as? [[String: Any]]) ?? []
            return .vector(
                items.compactMap { item in
                    point(item["value"]).map {
                        VectorElement(labels: labels(item["metric"]), value: $0.value, timestamp: $0.timestamp)
                    }
                })
        case "matrix":
            let items = (result as? [[String: Any]]) ?? []
            return .matrix(
                items.map { item in
                    let samples = ((item["values"] as? [Any]) ?? []).compactMap(point)
                    return RangeSeries(labels: labels(item["metric"]), samples: samples[...])
                })
        default:
            throw RemoteError(description: "an answer of type \(data["resultType"] as? String ?? "unknown")")
        }
    }
}

extension RemoteQuery {
    /// The alerts of `/api/v1/alerts`, as the store keeps them (their rule unknown).
    public func alerts() throws -> [RuleAlert] {
        let data = try get("/api/v1/alerts", [])
        return ((data["alerts"] as? [[String: Any]]) ?? []).map { item in
            return RuleAlert(
                rule: "",
                alert: Alert(
                    labels: RemoteQuery.labels(item["labels"]), annotations: RemoteQuery.labels(item["annotations"]),
                    state: AlertState(rawValue: item["state"] as? String ?? "") ?? .firing,
                    activeAt: UTCTime.parseRFC3339(item["activeAt"] as? String ?? "") ?? 0,
                    value: Double(item["value"] as? String ?? "") ?? .nan))
        }
    }
}

/// `ioc dashboard --source URL`: the figures from another Prometheus-compatible API; silences and
/// the alert log are the local store's business and stay empty.
public final class RemoteDashboardBackend: DashboardBackend {
    let remote: RemoteQuery

    public init(remote: RemoteQuery) { self.remote = remote }

    public func instant(_ query: Query, at time: Int64) throws -> QueryValue {
        try remote.instant(query.text, at: time)
    }

    public func range(_ query: Query, start: Int64, end: Int64, step: Int64) throws -> [Series] {
        try remote.range(query.text, start: start, end: end, step: step)
    }

    public func alerts() throws -> [RuleAlert] { try remote.alerts() }
    public func silences() throws -> [Silence] { [] }
    public func alertHistory(through end: Int64, limit: Int) throws -> [AlertHistoryEntry] { [] }
}
