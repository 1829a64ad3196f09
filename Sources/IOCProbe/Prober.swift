import Foundation
import IOCCore
public import IOCHTTP

/// Runs HTTP(S) and TCP probes through the shared libcurl client.
public struct Prober: Sendable {
    private let client: HTTPClient

    public init(client: HTTPClient) { self.client = client }

    /// Runs one probe. Never throws: an unreachable or broken target is a result with a reason.
    public func probe(_ target: ProbeTarget) async -> ProbeResult {
        if case .feed(let feed) = target.kind { return await scrape(feed, timeout: target.timeout) }
        let started = WallClock.nowMilliseconds()
        let clock = ContinuousClock()
        let start = clock.now
        let request: HTTPRequest
        let expectations: [Expectation]
        switch target.kind {
        case .http(let http):
            request = Prober.request(for: http, timeout: target.timeout)
            expectations = http.effectiveExpectations
        case .tcp(let tcp):
            request = HTTPRequest(
                url: "\(tcp.useTLS ? "https" : "http")://\(tcp.address)/", timeout: target.timeout,
                freshConnection: true,
                connectOnly: true, ipVersion: tcp.ipVersion, tls: tcp.tls)
            expectations = tcp.expectations
        case .feed:
            preconditionFailure("feeds are scraped above")
        }
        let response = await client.perform(request)
        let elapsed = (clock.now - start).inSeconds
        let duration = response.timings.total > 0 ? response.timings.total : elapsed
        var result = ProbeResult(
            timestamp: started, durationSeconds: duration, success: false, degraded: false, failure: nil,
            response: response, outcomes: [])
        if let failure = response.failure {
            result.failure = ProbeFailure(reason: failure.kind.rawValue, message: failure.message, severity: .critical)
            return result
        }
        let body = response.body.isEmpty ? "" : String(decoding: response.body, as: UTF8.self)
        let needsJSON = expectations.contains {
            if case .json = $0.check { return true }
            return false
        }
        let json =
            needsJSON ? try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed]) : nil
        result.outcomes = expectations.map {
            ExpectationOutcome(
                expectation: $0,
                failure: $0.failure(response: response, body: body, json: json, duration: duration, now: started))
        }
        let failed = result.outcomes.filter { $0.failure != nil }
        let critical = failed.first { $0.expectation.severity == .critical }
        let worst = critical ?? failed.first
        if let worst, let message = worst.failure {
            result.failure = ProbeFailure(
                reason: worst.expectation.reason, message: message, severity: worst.expectation.severity)
        }
        result.success = critical == nil
        result.degraded = critical == nil && worst != nil
        return result
    }

    /// Scrapes a feed: `up 1` and its samples when it parses, `up 0` and the reason when anything fails.
    private func scrape(_ feed: FeedProbe, timeout: Duration) async -> ProbeResult {
        let started = WallClock.nowMilliseconds()
        let clock = ContinuousClock()
        let start = clock.now
        let response = await client.perform(Prober.request(for: feed.http, timeout: timeout))
        var result = ProbeResult(
            timestamp: started, durationSeconds: 0, success: false, degraded: false, failure: nil, response: response,
            outcomes: [])
        if let failure = response.failure {
            result.failure = ProbeFailure(reason: failure.kind.rawValue, message: failure.message, severity: .critical)
        } else if let status = response.status, !(200..<300).contains(status) {
            result.failure = ProbeFailure(reason: "status", message: "HTTP status \(status)", severity: .critical)
        } else {
            do {
                result.feedSamples = try Prober.parse(feed, response: response, timestamp: started)
                result.success = true
            } catch {
                result.failure = ProbeFailure(reason: "parse", message: error.description, severity: .critical)
            }
        }
        result.durationSeconds = (clock.now - start).inSeconds
        return result
    }

    static func parse(_ feed: FeedProbe, response: HTTPResponse, timestamp: Int64) throws(FeedError) -> [LabeledSample]
    {
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
            return try mapping.samples(from: document, timestamp: timestamp, sampleLimit: feed.sampleLimit)
        case .openMetrics, .prometheus, .auto:
            let parser = ExpositionParser(
                format: format == .openMetrics ? .openMetrics : .prometheus, sampleLimit: feed.sampleLimit)
            do {
                return try parser.parse(response.body, defaultTimestamp: timestamp).samples
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
