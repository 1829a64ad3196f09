/// What a metric family's `# HELP`, `# TYPE` and `# UNIT` lines said, kept with the series.
public struct MetricMetadata: Sendable, Equatable {
    /// counter, gauge, histogram, summary, untyped (Prometheus text) or an OpenMetrics type.
    public var type: String?
    public var help: String?
    public var unit: String?

    public init(type: String? = nil, help: String? = nil, unit: String? = nil) {
        self.type = type
        self.help = help
        self.unit = unit
    }
}
