import Foundation
import IOCAlert
import IOCCore
import IOCQuery
import IOCStore
import Synchronization

/// Store readers for the API's threads: a reader is used by one thread at a time, so requests take
/// one from here and give it back, and new ones are opened only when all are in use.
final class ReaderPool: Sendable {
    /// A reader between uses. `@unchecked Sendable`: it sits in the pool or is used by the one
    /// thread that took it out, never by two at once.
    private final class Pooled: @unchecked Sendable {
        let reader: StoreReader
        init(_ reader: StoreReader) { self.reader = reader }
    }

    private let make: @Sendable () throws -> StoreReader
    private let idle = Mutex<[Pooled]>([])

    init(_ make: @escaping @Sendable () throws -> StoreReader) { self.make = make }

    func with<T>(_ body: (StoreReader) throws -> T) throws -> T {
        let taken = idle.withLock { $0.popLast() }
        let pooled = try taken ?? Pooled(make())
        defer { idle.withLock { $0.append(pooled) } }
        return try body(pooled.reader)
    }
}

/// Prometheus' HTTP API over the store, so that Grafana and Prometheus can read IOC: `/api/v1/query`,
/// `query_range`, `series`, `labels`, `label/NAME/values`, `alerts`, `rules`, `/federate`, with
/// `/metrics`, `/-/healthy` and `/-/ready`. Answers as Prometheus does, errors included (400 with
/// `errorType: bad_data`); optional basic auth or a bearer token.
struct PrometheusAPI: Sendable {
    let readers: ReaderPool
    let engine: Engine
    let metrics: @Sendable () -> String
    /// The rule groups, each with its last evaluation once it has had one.
    let rules: @Sendable () -> [(group: RuleGroup, status: RuleScheduler.GroupStatus?)]
    let ready: @Sendable () -> Bool
    /// `Authorization` values accepted (`Basic ...`, `Bearer ...`); empty: none needed.
    let credentials: [Secret]
    /// The host names a request's `Host` header may carry (any port); nil: any. A listener on
    /// loopback answers only to loopback names, so that a web page the operator opens cannot reach
    /// it through a DNS name that resolves to 127.0.0.1 (DNS rebinding).
    var allowedHosts: Set<String>? = nil
    /// Build info, targets and metadata; nil where there are no probes (ioc's offline API).
    var status: StatusAPI? = nil
    /// Alertmanager's API v2 over the store's alerts and silences; nil in ioc's offline API.
    var alertmanager: AlertmanagerAPI? = nil
    /// Parameters longer than this are refused rather than parsed.
    static let maxParameter = 64 * 1024

    /// The `Host` names a listener on `host` answers to: loopback names for a loopback address;
    /// nil (any) otherwise, where the administrator chose to be reachable.
    static func allowedHosts(listeningOn host: String) -> Set<String>? {
        let loopback = ["localhost", "127.0.0.1", "::1", "ip6-localhost"]
        guard loopback.contains(host.lowercased()) || host.hasPrefix("127.") else { return nil }
        return Set(loopback + [host.lowercased()])
    }

    /// The host part of a `Host` header: `[::1]:9420` is `::1`, `localhost:9420` is `localhost`.
    static func hostName(_ header: String) -> String {
        // Without Foundation's trimming and substring search: this runs before every request.
        var trimmed = Substring(header)
        while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
        let text = trimmed.lowercased()
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            return String(text[text.index(after: text.startIndex)..<close])
        }
        if let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":" as Character) {
            return String(text[..<colon])
        }
        return text
    }

    func handle(_ request: APIRequest) -> APIResponse {
        if let allowedHosts, let host = request.header("host"),
            !allowedHosts.contains(PrometheusAPI.hostName(host))
        {
            return APIResponse(
                status: 403, contentType: "text/plain",
                body: "Forbidden: this listener is on loopback and answers only to localhost names\n")
        }
        if !credentials.isEmpty && request.path != "/-/healthy" {
            let given = request.header("authorization") ?? ""
            guard credentials.contains(Secret(given)) else {
                return APIResponse(status: 401, contentType: "text/plain", body: "Unauthorized\n")
            }
        }
        if let long = request.parameters.first(where: { $0.1.utf8.count > PrometheusAPI.maxParameter }) {
            return .error("parameter '\(long.0)' is longer than \(PrometheusAPI.maxParameter) bytes")
        }
        switch (request.method, request.path) {
        case ("GET", "/-/healthy"), ("HEAD", "/-/healthy"):
            return APIResponse(status: 200, contentType: "text/plain", body: "Healthy.\n")
        case ("GET", "/-/ready"), ("HEAD", "/-/ready"):
            return ready()
                ? APIResponse(status: 200, contentType: "text/plain", body: "Ready.\n")
                : APIResponse(status: 503, contentType: "text/plain", body: "Not ready.\n")
        case ("GET", "/metrics"):
            return APIResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics())
        case (_, let path) where path.hasPrefix("/api/v2/"):
            return alertmanager?.handle(request) ?? .error("\(path) not found", type: "not_found", status: 404)
        case (_, let path) where request.method != "GET" && request.method != "POST":
            return .error("method \(request.method) not allowed on \(path)", status: 405)
        case (_, "/api/v1/query"): return query(request)
        case (_, "/api/v1/query_range"): return queryRange(request)
        case (_, "/api/v1/series"): return series(request)
        case (_, "/api/v1/labels"): return labels(request)
        case (_, "/api/v1/query_exemplars"): return exemplars(request)
        case (_, "/api/v1/alerts"): return alerts()
        case (_, "/api/v1/rules"): return rulesList(request)
        case (_, "/federate"): return federate(request)
        case (_, "/api/v1/status/buildinfo"): return StatusAPI.buildInfo()
        case (_, let path) where path == "/api/v1/targets" || path == "/api/v1/metadata":
            return status?.handle(request, readers: readers)
                ?? .error("\(request.path) not found", type: "not_found", status: 404)
        case ("POST", let path) where path.hasPrefix("/api/v1/label/") && path.hasSuffix("/values"):
            // GET only, as Prometheus routes it.
            return APIResponse(status: 405, contentType: "text/plain; charset=utf-8", body: "Method Not Allowed\n")
        case (_, let path) where path.hasPrefix("/api/v1/label/") && path.hasSuffix("/values"):
            let name = String(path.dropFirst("/api/v1/label/".count).dropLast("/values".count))
            return labelValues(name.removingPercentEncoding ?? name, request)
        default:
            return .error("\(request.path) not found", type: "not_found", status: 404)
        }
    }

    func success(_ data: String) -> APIResponse { .json(#"{"status":"success","data":\#(data)}"#) }

    /// A success whose data is written straight into the answer's bytes (a query's result).
    private func success(writing data: (inout JSONBytes) -> Void) -> APIResponse {
        var json = JSONBytes()
        json.raw(#"{"status":"success","data":"#)
        data(&json)
        json.raw("}")
        return .json(bytes: json.bytes)
    }

    /// An optional time (a query's `time`, the metadata endpoints' `start` and `end`): absent or
    /// empty is `fallback`, as in Prometheus' `parseTimeParam`, whose message a bad one gets.
    private func optionalTime(_ request: APIRequest, _ name: String, default fallback: Int64) -> Result<Int64, APIError>
    {
        guard let text = request.first(name), !text.isEmpty else { return .success(fallback) }
        guard let time = QueryOutput.time(text) else {
            return .failure(
                APIError(
                    "invalid parameter \"\(name)\": Invalid time value for '\(name)': cannot parse \"\(text)\" to a valid timestamp"
                ))
        }
        return .success(time)
    }

    /// A range query's `start` or `end`: required, so an absent one is the empty text, which does not parse.
    private func requiredTime(_ request: APIRequest, _ name: String) -> Result<Int64, APIError> {
        let text = request.first(name) ?? ""
        guard let time = QueryOutput.time(text) else {
            return .failure(APIError("invalid parameter \"\(name)\": cannot parse \"\(text)\" to a valid timestamp"))
        }
        return .success(time)
    }

    /// A range query's step checked as Prometheus checks it between `start` and `end` (in this
    /// order: a text that is no duration, one that is not positive, more than 11,000 steps after
    /// the first), in milliseconds. Prometheus counts the steps in nanoseconds, so that a step
    /// under a millisecond is refused for their number, not for its text.
    private func step(_ request: APIRequest, from start: Int64, through end: Int64) -> Result<Int64, APIError> {
        let text = request.first("step") ?? ""
        let nanoseconds: Int64
        if let seconds = Double(text) {
            let scaled = seconds * 1e9
            guard scaled.isNaN || (scaled < 9.2e18 && scaled > -9.2e18) else {
                return .failure(
                    APIError(
                        "invalid parameter \"step\": cannot parse \"\(text)\" to a valid duration. It overflows int64"))
            }
            // Go turns a NaN into the least Int64: negative, refused as such.
            nanoseconds = scaled.isNaN ? .min : Int64(scaled)
        } else if let duration = Duration(prometheus: text) {
            // At most `prometheusMaximumMilliseconds`, Int64.max / 1e6: the product fits.
            nanoseconds = duration.inMilliseconds * 1_000_000
        } else {
            return .failure(APIError("invalid parameter \"step\": cannot parse \"\(text)\" to a valid duration"))
        }
        guard nanoseconds > 0 else {
            return .failure(
                APIError(
                    "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"
                ))
        }
        let (span, overflow) = (end - start).multipliedReportingOverflow(by: 1_000_000)
        guard !overflow, span / nanoseconds <= 11_000 else {
            return .failure(
                APIError(
                    "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
                ))
        }
        // Whole milliseconds, as Prometheus' engine takes them (at least one).
        return .success(max(1, nanoseconds / 1_000_000))
    }

    struct APIError: Error {
        var message: String
        init(_ message: String) { self.message = message }
        /// The error without the parameter it names, as Prometheus words a range query's or
        /// exemplars' parse error.
        var unnamed: APIError { APIError(String(message.trimmingPrefix(#"invalid parameter "query": "#))) }
    }

    /// The engine for one request: Prometheus' `timeout` parameter may shorten the query timeout
    /// (never lengthen it past `--query.timeout`).
    private func engine(for request: APIRequest) -> Result<Engine, APIError> {
        guard let text = request.first("timeout"), !text.isEmpty else { return .success(engine) }
        guard let milliseconds = QueryOutput.duration(text) else {
            return .failure(APIError("invalid parameter \"timeout\": cannot parse \"\(text)\" to a valid duration"))
        }
        var shortened = engine
        shortened.timeout = min(engine.timeout, .milliseconds(milliseconds))
        return .success(shortened)
    }

    private func parse(_ request: APIRequest) -> Result<Query, APIError> {
        // Nothing but white space is Prometheus 2.42's "no expression" at the first character.
        guard let text = request.first("query"), text.contains(where: { !$0.isWhitespace }) else {
            return .failure(APIError("invalid parameter \"query\": 1:1: parse error: no expression found in input"))
        }
        do {
            return .success(try Query(parsing: text))
        } catch {
            return .failure(APIError("invalid parameter \"query\": \(error)"))
        }
    }

    private func query(_ request: APIRequest) -> APIResponse {
        let now = WallClock.nowMilliseconds()
        do {
            let query = try parse(request).get()
            let time = try optionalTime(request, "time", default: now).get()
            let engine = try self.engine(for: request).get()
            let value = try readers.with { reader in
                try engine.instant(query, at: time, source: reader, cancellation: request.cancellation)
            }
            return success { PrometheusWire.QueryData.write(value, at: time, into: &$0) }
        } catch let error as APIError {
            return .error(error.message)
        } catch var error as QueryError {
            // Evaluating an instant query fails as an execution error in Prometheus.
            if error.kind == .badData { error.kind = .execution }
            return .error(error)
        } catch {
            return .error("\(error)", type: "execution", status: 422)
        }
    }

    private func queryRange(_ request: APIRequest) -> APIResponse {
        do {
            // In Prometheus' order, so that a request wrong in several ways is told the same first fault.
            let start = try requiredTime(request, "start").get()
            let end = try requiredTime(request, "end").get()
            guard end >= start else {
                return .error("invalid parameter \"end\": end timestamp must not be before start time")
            }
            let step = try self.step(request, from: start, through: end).get()
            let engine = try self.engine(for: request).get()
            // Prometheus 2.42 names no parameter for a range query's parse error.
            let query = try parse(request).mapError(\.unnamed).get()
            let series = try readers.with { reader in
                try engine.range(
                    query, start: start, end: end, step: step, source: reader, cancellation: request.cancellation)
            }
            return success { PrometheusWire.QueryData.write(series, into: &$0) }
        } catch let error as APIError {
            return .error(error.message)
        } catch let error as QueryError {
            return .error(error)
        } catch {
            return .error("\(error)", type: "execution", status: 422)
        }
    }

    /// The selectors of `match[]`, each a vector selector.
    private func matchers(_ request: APIRequest) -> Result<[[LabelMatcher]], APIError> {
        let texts = request.all("match[]")
        var result: [[LabelMatcher]] = []
        for text in texts {
            guard let selector = try? Selector(parsing: text) else {
                return .failure(APIError("invalid parameter \"match[]\": \(text) is not a series selector"))
            }
            result.append(selector.matchers)
        }
        return .success(result)
    }

    /// The metadata endpoints' `start` and `end`, checked as Prometheus checks them. The answer
    /// is every series the store holds, whatever their times (a superset of Prometheus' answer).
    private func checkTimeRange(_ request: APIRequest) throws(APIError) {
        _ = try optionalTime(request, "start", default: 0).get()
        _ = try optionalTime(request, "end", default: 0).get()
    }

    private func series(_ request: APIRequest) -> APIResponse {
        do {
            // Prometheus parses the form itself here and refuses what Go could not parse.
            if let fault = request.formError { return .error("error parsing form values: \(fault)") }
            guard !request.all("match[]").isEmpty else { return .error("no match[] parameter provided") }
            try checkTimeRange(request)
            let selectors = try matchers(request).get()
            let found = try readers.with { try selected(selectors, $0) }
            let unique = found.sorted()
            return success("[" + unique.map(PrometheusWire.json).joined(separator: ",") + "]")
        } catch let error as APIError {
            return .error(error.message)
        } catch {
            return .error("\(error)", type: "execution", status: 422)
        }
    }

    /// Label names; with `match[]`, those of the series it selects (Grafana's `label_names(...)`).
    private func labels(_ request: APIRequest) -> APIResponse {
        do {
            try checkTimeRange(request)
            let selectors = try matchers(request).get()
            let names = try readers.with { reader in
                guard !selectors.isEmpty else { return try reader.labelNames() }
                var names = Set<ExactString>()
                for series in try selected(selectors, reader) {
                    for pair in series.pairs { names.insert(ExactString(pair.name)) }
                }
                return names.sorted().map(\.string)
            }
            return success("[" + names.map(PrometheusWire.json).joined(separator: ",") + "]")
        } catch let error as APIError {
            return .error(error.message)
        } catch {
            return .error("\(error)", type: "execution", status: 422)
        }
    }

    /// A label's values; with `match[]`, those of the series it selects (Grafana's
    /// `label_values(metric{...}, label)`, a dashboard variable's usual query).
    private func labelValues(_ name: String, _ request: APIRequest) -> APIResponse {
        guard !name.isEmpty else { return .error("invalid label name") }
        do {
            try checkTimeRange(request)
            let selectors = try matchers(request).get()
            let values = try readers.with { reader in
                guard !selectors.isEmpty else { return try reader.labelValues(name) }
                let values = try selected(selectors, reader).compactMap { $0[name].map(ExactString.init) }
                return Set(values).sorted().map(\.string)
            }
            return success("[" + values.map(PrometheusWire.json).joined(separator: ",") + "]")
        } catch let error as APIError {
            return .error(error.message)
        } catch {
            return .error("\(error)", type: "execution", status: 422)
        }
    }

    /// Exemplars: iocd keeps none, so a good request is answered with none (Grafana asks for them
    /// beside a panel's query when exemplars are turned on, and shows an error for a 404).
    private func exemplars(_ request: APIRequest) -> APIResponse {
        do {
            try checkTimeRange(request)
            if case .failure(let error) = parse(request) {
                // Prometheus names no parameter here.
                return .error(error.unnamed.message)
            }
            return success("[]")
        } catch {
            return .error(error.message)
        }
    }

    /// The labels of every series any of `selectors` selects, each series once: a request repeating
    /// a selector that matches everything a thousand times held a thousand copies of the list.
    private func selected(_ selectors: [[LabelMatcher]], _ reader: StoreReader) throws -> [Labels] {
        var found: [Int64: Labels] = [:]
        for matchers in Set(selectors) {
            for series in try reader.series(matching: matchers) { found[series.id] = series.labels }
        }
        return Array(found.values)
    }

    private func alerts() -> APIResponse {
        do {
            let stored = try readers.with { try $0.alerts() }.filter { $0.state != .inactive }
            return success(PrometheusWire.Alerts(stored.map(\.alert)).json)
        } catch {
            return .error("\(error)", type: "execution", status: 422)
        }
    }

    /// The latest sample of every series `match[]` selects, in the text exposition format with
    /// timestamps, as Prometheus' `/federate` serves them.
    private func federate(_ request: APIRequest) -> APIResponse {
        do {
            let selectors = try matchers(request).get()
            let now = WallClock.nowMilliseconds()
            var lines: [String] = []
            var seen: Set<Labels> = []
            try readers.with { reader in
                for selector in selectors {
                    for series in try reader.select(selector, from: now - 300_000, through: now) {
                        guard let last = series.samples.last, !last.isStale, seen.insert(series.labels).inserted else {
                            continue
                        }
                        lines.append(
                            "\(series.labels.description) \(PrometheusNumber.format(last.value)) \(last.timestamp)")
                    }
                }
            }
            // Nothing selected is an empty body, as Prometheus sends it.
            return APIResponse(
                status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: lines.sorted().map { $0 + "\n" }.joined())
        } catch let error as APIError {
            // The scraper's error, in plain text as Prometheus writes it here.
            return APIResponse(status: 400, contentType: "text/plain; charset=utf-8", body: error.message + "\n")
        } catch {
            return .error("\(error)", type: "execution", status: 422)
        }
    }
}

extension APIResponse {
    /// A query's error with Prometheus' `errorType` and status: 400 for bad data, 422 for an
    /// execution error (a limit), 503 for a timeout, 499 when the client went away.
    static func error(_ error: QueryError) -> APIResponse {
        let status =
            switch error.kind {
            case .badData: 400
            case .execution: 422
            case .timeout: 503
            case .canceled: 499
            }
        return .error("\(error)", type: error.kind.rawValue, status: status)
    }
}
