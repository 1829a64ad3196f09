public import IOCCore
import IOCQuery

/// The samples another Prometheus-compatible API holds (a national VictoriaMetrics), as a source
/// IOC's own engine evaluates over: each selection is asked as the range-vector query
/// `{matchers}[window]` at its end, which Prometheus and VictoriaMetrics answer with the raw
/// samples. Rules evaluated this way give Prometheus' answers whatever engine keeps the data, as
/// the provinces' own iocd give them (MetricsQL, for one, rounds `round(x, 0.01)` its own way), and
/// a rule sees what the rules before it in its group recorded in the same round.
///
/// What this iocd recorded comes back with its external labels, which remote write added; they are
/// taken off again (a label with the same name and value), as Prometheus' remote read does, so that
/// a rule finds one series where the round's own result and the source's history meet.
public struct RemoteSeriesSource: SeriesSource, Sendable {
    let remote: RemoteQuery
    let ownLabels: [String: String]

    public init(remote: RemoteQuery, externalLabels: [String: String] = [:]) {
        self.remote = remote
        ownLabels = externalLabels
    }

    public func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
        guard end >= start else { return [] }
        let selector = "{" + matchers.map(\.description).joined(separator: ",") + "}"
        // A range selector takes (end - window, end]: one millisecond more gives start...end. A
        // selection from the beginning of time (Int64.min) would overflow: ten thousand years do.
        let (span, overflow) = end.subtractingReportingOverflow(start)
        let window = overflow || span >= 315_360_000_000_000 ? 315_360_000_000_000 : span + 1
        let value = try remote.instant(selector + "[\(window)ms]", at: end)
        guard case .matrix(let answered) = value else {
            throw RemoteQuery.RemoteError("remote.no_samples", ["url": remote.base, "selector": selector])
        }
        var merged: [Labels: [Sample]] = [:]
        for series in answered.map(\.series) {
            let samples = series.samples.filter { $0.timestamp >= start && $0.timestamp <= end }
            guard !samples.isEmpty else { continue }
            let kept =
                ownLabels.isEmpty
                ? series.labels
                : Labels(series.labels.pairs.filter { ownLabels[$0.name] != $0.value }.map { ($0.name, $0.value) })
            merged[kept, default: []] += samples
        }
        return merged.sorted { $0.key < $1.key }.map { labels, samples in
            Series(
                labels: labels, samples: samples.count > 1 ? samples.sorted { $0.timestamp < $1.timestamp } : samples)
        }
    }
}
