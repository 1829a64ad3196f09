public import IOCCore
public import IOCHTTP
import Synchronization

/// Why a probe failed (or, with severity `warning`, why it is degraded).
public struct ProbeFailure: Sendable, Equatable {
    /// A short word for the `reason` label: dns, connect, tls, timeout, body_too_large, status, body,
    /// json, latency, certificate, invalid_request, other.
    public var reason: String
    /// The detail, for logs and `ioc probe`.
    public var message: String
    public var severity: Expectation.Severity

    public init(reason: String, message: String, severity: Expectation.Severity) {
        self.reason = reason
        self.message = message
        self.severity = severity
    }
}

/// One expectation and what became of it.
public struct ExpectationOutcome: Sendable {
    public var expectation: Expectation
    /// Nil when the expectation held; otherwise what was found instead.
    public var failure: String?
}

/// What one probe found.
public struct ProbeResult: Sendable {
    /// When the probe started, ms since the epoch; its samples carry this timestamp.
    public var timestamp: Int64
    public var durationSeconds: Double
    /// False when the transfer failed or a critical expectation failed.
    public var success: Bool
    /// True when the probe succeeded but a warning expectation failed.
    public var degraded: Bool
    public var failure: ProbeFailure?
    /// The transfer's outcome: status, timings, certificates (also for TCP probes, without a status).
    public var response: HTTPResponse?
    public var outcomes: [ExpectationOutcome]

    public init(
        timestamp: Int64, durationSeconds: Double, success: Bool, degraded: Bool, failure: ProbeFailure?,
        response: HTTPResponse?, outcomes: [ExpectationOutcome]
    ) {
        self.timestamp = timestamp
        self.durationSeconds = durationSeconds
        self.success = success
        self.degraded = degraded
        self.failure = failure
        self.response = response
        self.outcomes = outcomes
    }

    /// The earliest expiry in the peer's certificate chain, seconds since the epoch.
    public var earliestCertificateExpiry: Int64? { response?.certificateExpiries.min() }

    /// The series this result writes, in blackbox_exporter's names (plus `probe_degraded` and
    /// `probe_failed_due_to{reason}`).
    public func samples(for target: ProbeTarget) -> [LabeledSample] {
        var samples: [LabeledSample] = []
        samples.reserveCapacity(18)
        func add(_ name: String, _ value: Double, _ labels: Labels? = nil) {
            samples.append(
                LabeledSample(
                    labels: (labels ?? target.labels).withMetricName(name),
                    sample: Sample(timestamp: timestamp, value: value)))
        }
        add("probe_success", success ? 1 : 0)
        add("probe_duration_seconds", durationSeconds)
        add("probe_degraded", degraded ? 1 : 0)
        if case .http = target.kind {
            let timings = response?.timings ?? HTTPTimings()
            for (phase, seconds) in [
                ("resolve", timings.resolve), ("connect", timings.connect), ("tls", timings.tls),
                ("processing", timings.processing), ("transfer", timings.transfer),
            ] {
                var labels = target.labels
                labels["phase"] = phase
                add("probe_http_duration_seconds", seconds, labels)
            }
            add("probe_http_status_code", Double(response?.status ?? 0))
            add("probe_http_content_length", Double(response?.contentLength ?? -1))
            add("probe_http_uncompressed_body_length", Double(response?.body.count ?? 0))
            add("probe_http_redirects", Double(response?.redirects ?? 0))
            add("probe_http_ssl", response?.usedTLS == true ? 1 : 0)
            add("probe_http_version", response?.httpVersion ?? 0)
        }
        if let expiry = earliestCertificateExpiry { add("probe_ssl_earliest_cert_expiry", Double(expiry)) }
        if let failure {
            var labels = target.labels
            labels["reason"] = failure.reason
            add("probe_failed_due_to", 1, labels)
        }
        return samples
    }
}

/// Turns results into samples, ending a `probe_failed_due_to{reason}` series with a staleness marker
/// when its reason no longer applies, so that queries do not see an old reason for five more minutes.
public final class ProbeSeriesWriter: Sendable {
    private let lastReason = Mutex<[Labels: String]>([:])

    public init() {}

    public func samples(for target: ProbeTarget, _ result: ProbeResult) -> [LabeledSample] {
        var samples = result.samples(for: target)
        let current = result.failure?.reason
        let previous = lastReason.withLock { reasons in
            defer { reasons[target.labels] = current }
            return reasons[target.labels]
        }
        if let previous, previous != current {
            var labels = target.labels
            labels["reason"] = previous
            samples.append(
                LabeledSample(
                    labels: labels.withMetricName("probe_failed_due_to"),
                    sample: Sample(timestamp: result.timestamp, value: Sample.staleNaN)))
        }
        return samples
    }
}
