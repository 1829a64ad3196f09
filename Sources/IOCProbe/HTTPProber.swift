public import IOCCore
public import IOCHTTP

/// What one probe found: success, how long it took, the status, and why it failed.
public struct ProbeResult: Sendable {
    /// When the probe started, ms since the epoch; its samples carry this timestamp.
    public var timestamp: Int64
    public var success: Bool
    public var durationSeconds: Double
    public var status: Int?
    public var timings: HTTPTimings
    /// Why the probe failed, as a short word (`connect`, `timeout`, `status`, ...), nil on success.
    public var failureReason: String?
    /// The detail behind the reason, for logs and `ioc probe`.
    public var failureMessage: String?

    /// The series this result writes, in blackbox_exporter's names.
    public func samples(for target: ProbeTarget) -> [LabeledSample] {
        func sample(_ name: String, _ value: Double) -> LabeledSample {
            var labels = target.labels
            labels[Labels.metricName] = name
            return LabeledSample(labels: labels, sample: Sample(timestamp: timestamp, value: value))
        }
        return [
            sample("probe_success", success ? 1 : 0),
            sample("probe_duration_seconds", durationSeconds),
            sample("probe_http_status_code", Double(status ?? 0)),
        ]
    }
}

/// Probes HTTP(S) targets through the shared libcurl client.
public struct HTTPProber: Sendable {
    private let client: HTTPClient

    public init(client: HTTPClient) { self.client = client }

    /// Runs one probe. Never throws: an unreachable or broken target is a result with a reason.
    public func probe(_ target: ProbeTarget) async -> ProbeResult {
        let started = WallClock.nowMilliseconds()
        let clock = ContinuousClock()
        let start = clock.now
        let response = await client.perform(
            HTTPRequest(url: target.url, timeout: target.timeout, maxBodyBytes: 1 << 20))
        let elapsed = (clock.now - start).inSeconds
        var result = ProbeResult(
            timestamp: started, success: false,
            durationSeconds: response.timings.total > 0 ? response.timings.total : elapsed,
            status: response.status, timings: response.timings)
        if let failure = response.failure {
            result.failureReason = failure.kind.rawValue
            result.failureMessage = failure.message
        } else if let status = response.status, !(200..<300).contains(status) {
            result.failureReason = "status"
            result.failureMessage = "HTTP status \(status) is not 2xx"
        } else {
            result.success = true
        }
        return result
    }
}
