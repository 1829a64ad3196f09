public import IOCCore

/// A PromQL query evaluated at one instant, returning an instant vector: the convenience the CLI's
/// tests and tools use when they want samples rather than a `QueryValue`.
public struct InstantQuery: Sendable {
    public var query: Query
    public var engine: Engine

    public init(parsing text: String, lookback: Duration = .seconds(300)) throws(QueryError) {
        query = try Query(parsing: text)
        engine = Engine(lookback: lookback.inMilliseconds)
    }

    /// The result at `time` (ms since the epoch), sorted by labels; each element carries the time of
    /// the sample it came from. A scalar result is one element without labels.
    public func evaluate(at time: Int64, on source: any SeriesSource) throws -> [LabeledSample] {
        switch try engine.instant(query, at: time, source: source) {
        case .vector(let elements):
            return elements.map {
                LabeledSample(labels: $0.labels, sample: Sample(timestamp: $0.timestamp, value: $0.value))
            }
        case .scalar(let value): return [LabeledSample(labels: Labels(), sample: Sample(timestamp: time, value: value))]
        default: throw QueryError(query: query.text, position: nil, "the query does not give an instant vector")
        }
    }
}

extension LabeledSample {
    /// One line in promtool's style: `metric{labels} => value @[seconds]`.
    public var promtoolLine: String {
        "\(labels) => \(PrometheusNumber.format(sample.value)) @[\(PrometheusNumber.formatTimestamp(sample.timestamp))]"
    }
}
