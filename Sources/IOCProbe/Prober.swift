import Foundation
public import IOCCore
public import IOCHTTP

/// Runs HTTP(S) and TCP probes through the shared libcurl client.
public struct Prober: Sendable {
    private let client: HTTPClient
    /// What a feed's samples must be to be kept: the rest are dropped and counted in the result.
    private let admission: SampleAdmission

    public init(client: HTTPClient, admission: SampleAdmission = SampleAdmission()) {
        self.client = client
        self.admission = admission
    }

    /// Runs one probe. Never throws: an unreachable or broken target is a result with a reason.
    public func probe(_ target: ProbeTarget) async -> ProbeResult {
        await withCheckedContinuation { continuation in
            start(target) { continuation.resume(returning: $0) }
        }
    }

    /// Bodies above this size are examined (regular expressions, JSON, feed parsing) on a worker queue
    /// rather than on the transfer thread, so that one large answer never holds up the other transfers.
    static let inlineBodyLimit = 64 * 1024

    /// Starts one probe and calls `completion` with its result, without a task or a thread hop for the
    /// common case: the result of an HTTP or TCP probe is worked out on the transfer thread as the
    /// transfer ends. Feeds, and bodies too large to examine there, move to a worker queue.
    public func start(_ target: ProbeTarget, completion: @escaping @Sendable (ProbeResult) -> Void) {
        let (request, finish) = transfer(target, completion: completion)
        client.start(request, completion: finish)
    }

    /// Starts several probes at once (those the scheduler finds due together): the transfer thread is
    /// woken once for all of them rather than once each.
    public func start(_ probes: [(target: ProbeTarget, completion: @Sendable (ProbeResult) -> Void)]) {
        client.start(probes.map { transfer($0.target, completion: $0.completion) })
    }

    /// The request a probe makes and what turns its response into the probe's result.
    private func transfer(_ target: ProbeTarget, completion: @escaping @Sendable (ProbeResult) -> Void) -> (
        HTTPRequest, @Sendable (HTTPResponse) -> Void
    ) {
        let started = WallClock.nowMilliseconds()
        let clock = ContinuousClock()
        let start = clock.now
        switch target.kind {
        case .feed(let feed):
            return (
                Prober.request(for: feed.http, timeout: target.timeout),
                { response in
                    let finish: @Sendable () -> Void = {
                        var result = Prober.scrapeResult(
                            feed, response: response, started: started, admission: admission)
                        result.durationSeconds = (clock.now - start).inSeconds
                        completion(result)
                    }
                    if response.failure == nil && !response.body.isEmpty {
                        DispatchQueue.global().async(execute: finish)
                    } else {
                        finish()
                    }
                }
            )
        case .http(let http):
            let expectations = http.effectiveExpectations
            let examinesBody = expectations.contains {
                switch $0.check {
                case .bodyMatches, .bodyDoesNotMatch, .json: return true
                default: return false
                }
            }
            return (
                Prober.request(for: http, timeout: target.timeout),
                { response in
                    let elapsed = (clock.now - start).inSeconds
                    let finish: @Sendable () -> Void = {
                        completion(
                            Prober.result(response, expectations: expectations, started: started, elapsed: elapsed))
                    }
                    if examinesBody && response.body.count > Prober.inlineBodyLimit {
                        DispatchQueue.global().async(execute: finish)
                    } else {
                        finish()
                    }
                }
            )
        case .tcp(let tcp):
            let request = HTTPRequest(
                url: "\(tcp.useTLS ? "https" : "http")://\(tcp.address)/", timeout: target.timeout,
                freshConnection: true,
                connectOnly: true, ipVersion: tcp.ipVersion, tls: tcp.tls)
            return (
                request,
                { response in
                    let elapsed = (clock.now - start).inSeconds
                    completion(
                        Prober.result(response, expectations: tcp.expectations, started: started, elapsed: elapsed))
                }
            )
        }
    }

    /// The verdict on an HTTP or TCP transfer: a transfer failure, or the expectations checked in order.
    static func result(_ response: HTTPResponse, expectations: [Expectation], started: Int64, elapsed: Double)
        -> ProbeResult
    {
        let duration = response.timings.total > 0 ? response.timings.total : elapsed
        var result = ProbeResult(
            timestamp: started, durationSeconds: duration, success: false, degraded: false, failure: nil,
            response: response, outcomes: [])
        if let failure = response.failure {
            result.failure = ProbeFailure(reason: failure.kind.rawValue, message: failure.message, severity: .critical)
            return result
        }
        var body: String?
        var json: Any?
        var outcomes: [ExpectationOutcome] = []
        outcomes.reserveCapacity(expectations.count)
        for expectation in expectations {
            switch expectation.check {
            case .bodyMatches, .bodyDoesNotMatch:
                if body == nil { body = String(decoding: response.body, as: UTF8.self) }
            case .json:
                if json == nil {
                    json = try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
                }
            default:
                break
            }
            outcomes.append(
                ExpectationOutcome(
                    expectation: expectation,
                    failure: expectation.failure(
                        response: response, body: body, json: json, duration: duration, now: started)))
        }
        result.outcomes = outcomes
        let critical = outcomes.first { $0.failure != nil && $0.expectation.severity == .critical }
        let worst = critical ?? outcomes.first { $0.failure != nil }
        if let worst, let message = worst.failure {
            result.failure = ProbeFailure(
                reason: worst.expectation.reason, message: message, severity: worst.expectation.severity)
        }
        result.success = critical == nil
        result.degraded = critical == nil && worst != nil
        return result
    }

    /// The verdict on a feed: `up 1` and its samples when it parses, `up 0` and the reason otherwise.
    static func scrapeResult(
        _ feed: FeedProbe, response: HTTPResponse, started: Int64, admission: SampleAdmission = SampleAdmission()
    ) -> ProbeResult {
        var result = ProbeResult(
            timestamp: started, durationSeconds: 0, success: false, degraded: false, failure: nil, response: response,
            outcomes: [])
        if let failure = response.failure {
            result.failure = ProbeFailure(reason: failure.kind.rawValue, message: failure.message, severity: .critical)
        } else if let status = response.status, !(200..<300).contains(status) {
            result.failure = ProbeFailure(reason: "status", message: "HTTP status \(status)", severity: .critical)
        } else {
            do {
                let (samples, metadata) = try Prober.parse(feed, response: response, timestamp: started)
                (result.feedSamples, result.rejectedSamples) = admission.filter(samples, now: started)
                result.feedMetadata = metadata.filter { SampleAdmission.isValidMetricName($0.key) }
                result.success = true
            } catch {
                result.failure = ProbeFailure(reason: "parse", message: error.description, severity: .critical)
            }
        }
        return result
    }

    /// The feed's samples and metric metadata, in the format it declares or the response shows.
    static func parse(_ feed: FeedProbe, response: HTTPResponse, timestamp: Int64) throws(FeedError) -> (
        samples: [LabeledSample], metadata: [String: MetricMetadata]
    ) {
        var format = feed.format
        if format == .auto {
            let type = (response.contentType ?? "").lowercased()
            if type.hasPrefix("application/openmetrics-text") {
                format = .openMetrics
            } else if feed.json != nil && (type.contains("json") || response.body.first == UInt8(ascii: "{")) {
                format = .json
            } else {
                format = .prometheus
            }
        }
        switch format {
        case .json:
            guard let mapping = feed.json else { throw FeedError("format json needs a 'json' mapping") }
            guard
                let document = try? JSONSerialization.jsonObject(
                    with: Data(response.body), options: [.fragmentsAllowed])
            else { throw FeedError("the body is not JSON") }
            return (try mapping.samples(from: document, timestamp: timestamp, sampleLimit: feed.sampleLimit), [:])
        case .openMetrics, .prometheus, .auto:
            let parser = ExpositionParser(
                format: format == .openMetrics ? .openMetrics : .prometheus, sampleLimit: feed.sampleLimit)
            do {
                let result = try parser.parse(response.body, defaultTimestamp: timestamp)
                return (result.samples, result.metadata)
            } catch {
                throw FeedError("\(format == .openMetrics ? "OpenMetrics" : "Prometheus text") \(error)")
            }
        }
    }

    static func request(for http: HTTPProbe, timeout: Duration) -> HTTPRequest {
        var headers = http.headers
        switch http.authorization {
        case .basic(let username, let password):
            let token = Data("\(username):\(password.value)".utf8).base64EncodedString()
            headers.append((name: "Authorization", value: "Basic \(token)"))
        case .bearer(let token):
            headers.append((name: "Authorization", value: "Bearer \(token.value)"))
        case nil:
            break
        }
        return HTTPRequest(
            url: http.url, method: http.method, headers: headers, body: http.body.map { Array($0.utf8) },
            timeout: timeout, maxBodyBytes: http.maxBodyBytes, followRedirects: http.followRedirects,
            maxRedirects: http.maxRedirects, freshConnection: true, ipVersion: http.ipVersion, tls: http.tls)
    }
}
