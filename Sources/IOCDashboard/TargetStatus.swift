public import IOCCore

/// The state of one probed target as the dashboard shows it.
public struct TargetStatus: Sendable, Equatable {
    public enum State: String, Sendable, Comparable {
        case down = "DOWN"
        case stale = "STALE"
        /// Up, but a warning expectation failed (`probe_degraded 1`).
        case degraded = "DEGRADED"
        case up = "UP"

        /// Down first, then stale, degraded, up: what needs attention comes first.
        public static func < (lhs: State, rhs: State) -> Bool { lhs.rank < rhs.rank }
        private var rank: Int {
            switch self {
            case .down: 0
            case .stale: 1
            case .degraded: 2
            case .up: 3
            }
        }
    }

    public var labels: Labels
    public var state: State
    public var latencySeconds: Double?
    public var statusCode: Int?
    /// Milliseconds since the last probe result.
    public var ageMilliseconds: Int64

    public var province: String { labels["province"] ?? "" }
    public var service: String { labels["service"] ?? "" }
    public var instance: String { labels["instance"] ?? "" }
    public var job: String { labels["job"] ?? "" }

    /// How far back the dashboard looks for probe results; older targets are not listed.
    public static let window: Int64 = 15 * 60 * 1000

    /// Reads the latest probe result of every target from `source`. A target whose last result is
    /// older than three of its intervals (and at least 30 s) is stale: shown, never silently green.
    public static func load(from source: any SeriesSource, now: Int64) throws -> [TargetStatus] {
        let start = now - window
        let successes = try source.select(
            [try LabelMatcher(Labels.metricName, .equal, "probe_success")], from: start, through: now)
        let durations = try source.select(
            [try LabelMatcher(Labels.metricName, .equal, "probe_duration_seconds")], from: start, through: now)
        let codes = try source.select(
            [try LabelMatcher(Labels.metricName, .equal, "probe_http_status_code")], from: start, through: now)
        let degradations = try source.select(
            [try LabelMatcher(Labels.metricName, .equal, "probe_degraded")], from: start, through: now)
        func latest(_ series: [Series]) -> [Labels: Sample] {
            Dictionary(
                series.compactMap { item in item.samples.last.map { (item.labels.droppingMetricName(), $0) } },
                uniquingKeysWith: { first, _ in first })
        }
        let latency = latest(durations)
        let status = latest(codes)
        let degraded = latest(degradations)
        return successes.compactMap { series -> TargetStatus? in
            guard let last = series.samples.last else { return nil }
            let labels = series.labels.droppingMetricName()
            let age = now - last.timestamp
            let count = series.samples.count
            let interval = count >= 2 ? last.timestamp - series.samples[count - 2].timestamp : 15_000
            let state: State
            if last.isStale || age > max(30_000, 3 * interval) {
                state = .stale
            } else if last.value != 1 {
                state = .down
            } else {
                state = degraded[labels]?.value == 1 ? .degraded : .up
            }
            return TargetStatus(
                labels: labels, state: state, latencySeconds: latency[labels]?.value,
                statusCode: status[labels].flatMap { (1..<1000).contains($0.value) ? Int($0.value) : nil },
                ageMilliseconds: age)
        }
        .sorted { ($0.state, $0.province, $0.service, $0.instance) < ($1.state, $1.province, $1.service, $1.instance) }
    }
}
