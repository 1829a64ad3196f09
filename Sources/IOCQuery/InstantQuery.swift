public import IOCCore

/// Evaluates a selector at one instant, with Prometheus' semantics: each series contributes its latest
/// sample in the left-open window (t − lookback, t], unless that sample is a staleness marker.
public struct InstantQuery: Sendable {
    public var selector: Selector
    public var lookback: Duration

    public init(_ selector: Selector, lookback: Duration = .seconds(300)) {
        self.selector = selector
        self.lookback = lookback
    }

    /// Parses and prepares `text`.
    public init(parsing text: String, lookback: Duration = .seconds(300)) throws(QueryError) {
        self.init(try Selector(parsing: text), lookback: lookback)
    }

    /// The result at `time` (ms since the epoch), an instant vector sorted by labels.
    public func evaluate(at time: Int64, on source: any SeriesSource) throws -> [LabeledSample] {
        let start = time - lookback.inMilliseconds + 1
        return try source.select(selector.matchers, from: start, through: time).compactMap { series in
            guard let last = series.samples.last(where: { $0.timestamp <= time }), !last.isStale else { return nil }
            return LabeledSample(labels: series.labels, sample: last)
        }
        .sorted { $0.labels < $1.labels }
    }
}

extension LabeledSample {
    /// One line in promtool's style: `metric{labels} => value @[seconds]`.
    public var promtoolLine: String {
        "\(labels) => \(PrometheusNumber.format(sample.value)) @[\(PrometheusNumber.formatTimestamp(sample.timestamp))]"
    }
}
