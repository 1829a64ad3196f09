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
    /// For feeds: the samples scraped, with the feed's own names and labels.
    public var feedSamples: [LabeledSample] = []
    /// For feeds: the HELP, TYPE and UNIT of the metric families scraped.
    public var feedMetadata: [String: MetricMetadata] = [:]
    /// For feeds: samples the feed sent that were not admitted (`SampleAdmission`), by reason.
    public var rejectedSamples: [SampleAdmission.Reason: Int] = [:]

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

    /// How far from the time it was due a probe may start and still have its samples stamped with
    /// that time. Prometheus does the same for scrapes (`--scrape.timestamp-tolerance`): timestamps
    /// at exact intervals cost a bit each in a chunk, jittered ones a byte or more. Ours is the
    /// scheduler's batch window plus a margin: a probe starts up to 25 ms late by design.
    public static let timestampTolerance: Int64 = 50

    /// This result with its time, and that of feed samples that carried it, moved to `due` when the
    /// probe started within `timestampTolerance` of it.
    public func aligned(to due: Int64) -> ProbeResult {
        guard timestamp != due, abs(timestamp - due) <= ProbeResult.timestampTolerance else { return self }
        var result = self
        result.timestamp = due
        for index in result.feedSamples.indices where result.feedSamples[index].sample.timestamp == timestamp {
            result.feedSamples[index].sample.timestamp = due
        }
        return result
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
        if case .feed = target.kind {
            add("up", success ? 1 : 0)
            add("scrape_duration_seconds", durationSeconds)
            add("scrape_samples_scraped", Double(feedSamples.count))
            for scraped in feedSamples {
                samples.append(
                    LabeledSample(labels: ProbeResult.attach(target.labels, to: scraped.labels), sample: scraped.sample)
                )
            }
        } else {
            add("probe_success", success ? 1 : 0)
            add("probe_duration_seconds", durationSeconds)
            add("probe_degraded", degraded ? 1 : 0)
        }
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

extension ProbeResult {
    /// A scraped series' labels with the target's added. Where both have a label, the target's wins
    /// and the feed's is kept as `exported_<name>`, as Prometheus does without `honor_labels`.
    static func attach(_ target: Labels, to scraped: Labels) -> Labels {
        var pairs = scraped.pairs
        for index in pairs.indices where pairs[index].name != Labels.metricName && target[pairs[index].name] != nil {
            pairs[index].name = "exported_" + pairs[index].name
        }
        return Labels(pairs.map { ($0.name, $0.value) } + target.pairs.map { ($0.name, $0.value) })
    }
}

/// Turns results into samples, and ends series that stopped with a staleness marker, as Prometheus
/// does, so that queries do not see them for five more minutes: a `probe_failed_due_to{reason}` whose
/// reason no longer applies, and a feed's series that its latest scrape no longer has (all of them
/// when the scrape failed). It also counts failures for the daemon's own metrics.
public final class ProbeSeriesWriter: Sendable {
    /// Counts since start.
    public struct Statistics: Sendable, Equatable {
        public var probes = 0
        public var probesFailed = 0
        public var scrapes = 0
        public var scrapesFailed = 0
        /// Feed samples refused by admission, by reason.
        public var rejected: [SampleAdmission.Reason: Int] = [:]
    }

    private struct State {
        var lastReason: [Labels: String] = [:]
        var lastFeedSeries: [Labels: Set<Labels>] = [:]
        var statistics = Statistics()
    }

    private let state = Mutex(State())

    public init() {}

    public var statistics: Statistics { state.withLock { $0.statistics } }

    public func samples(for target: ProbeTarget, _ result: ProbeResult) -> [LabeledSample] {
        var samples = result.samples(for: target)
        let current = result.failure?.reason
        let isFeed: Bool
        if case .feed = target.kind { isFeed = true } else { isFeed = false }
        let scraped: Set<Labels>? =
            isFeed
            ? Set(
                samples.lazy.filter { !ProbeSeriesWriter.scrapeSeries.contains($0.labels.metric ?? "") }.map(\.labels))
            : nil
        let (previousReason, vanished) = state.withLock { state -> (String?, [Labels]) in
            if isFeed {
                state.statistics.rejected.merge(result.rejectedSamples, uniquingKeysWith: +)
                state.statistics.scrapes += 1
                if !result.success { state.statistics.scrapesFailed += 1 }
            } else {
                state.statistics.probes += 1
                if !result.success { state.statistics.probesFailed += 1 }
            }
            let previous = state.lastReason[target.labels]
            state.lastReason[target.labels] = current
            guard let scraped else { return (previous, []) }
            let before = state.lastFeedSeries[target.labels] ?? []
            state.lastFeedSeries[target.labels] = scraped
            return (previous, before.subtracting(scraped).sorted())
        }
        let stale = Sample(timestamp: result.timestamp, value: Sample.staleNaN)
        if let previousReason, previousReason != current {
            var labels = target.labels
            labels["reason"] = previousReason
            samples.append(LabeledSample(labels: labels.withMetricName("probe_failed_due_to"), sample: stale))
        }
        samples += vanished.map { LabeledSample(labels: $0, sample: stale) }
        return samples
    }

    /// The series every scrape writes about itself, which never go stale while the feed is configured.
    static let scrapeSeries: Set<String> = [
        "up", "scrape_duration_seconds", "scrape_samples_scraped", "probe_failed_due_to",
    ]
}

extension ProbeResult {
    /// The HELP and TYPE of the series probes write, as blackbox_exporter and Prometheus' scrapes
    /// describe theirs: what `/api/v1/metadata` answers for them.
    public static let metadata: [String: MetricMetadata] = [
        "probe_success": MetricMetadata(type: "gauge", help: "Displays whether or not the probe was a success"),
        "probe_duration_seconds": MetricMetadata(
            type: "gauge", help: "Returns how long the probe took to complete in seconds"),
        "probe_degraded": MetricMetadata(
            type: "gauge", help: "Whether the probe succeeded but an expectation of severity warning failed"),
        "probe_failed_due_to": MetricMetadata(type: "gauge", help: "Why the probe failed, as the label reason"),
        "probe_http_duration_seconds": MetricMetadata(
            type: "gauge", help: "Duration of http request by phase, summed over all redirects"),
        "probe_http_status_code": MetricMetadata(type: "gauge", help: "Response HTTP status code"),
        "probe_http_content_length": MetricMetadata(type: "gauge", help: "Length of http content response"),
        "probe_http_uncompressed_body_length": MetricMetadata(
            type: "gauge", help: "Length of uncompressed response body"),
        "probe_http_redirects": MetricMetadata(type: "gauge", help: "The number of redirects"),
        "probe_http_ssl": MetricMetadata(type: "gauge", help: "Indicates if SSL was used for the final redirect"),
        "probe_http_version": MetricMetadata(type: "gauge", help: "Returns the version of HTTP of the probe response"),
        "probe_ssl_earliest_cert_expiry": MetricMetadata(
            type: "gauge", help: "Returns last SSL chain expiry in unixtime"),
        "up": MetricMetadata(type: "gauge", help: "Whether the last scrape of the feed succeeded"),
        "scrape_duration_seconds": MetricMetadata(type: "gauge", help: "How long the last scrape of the feed took"),
        "scrape_samples_scraped": MetricMetadata(type: "gauge", help: "The samples the last scrape of the feed read"),
    ]
}
