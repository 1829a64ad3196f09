public import IOCCore

/// One endpoint to probe, fully resolved from the probe files: its series labels, URL and timing.
public struct ProbeTarget: Sendable, Equatable {
    /// The labels every series of this target carries: `job`, `instance`, and the configured ones.
    public var labels: Labels
    public var url: String
    public var interval: Duration
    public var timeout: Duration
    /// Where the target was defined, for messages about it.
    public var location: SourceLocation

    public init(labels: Labels, url: String, interval: Duration, timeout: Duration, location: SourceLocation) {
        self.labels = labels
        self.url = url
        self.interval = interval
        self.timeout = timeout
        self.location = location
    }

    public var job: String { labels["job"] ?? "" }
    public var instance: String { labels["instance"] ?? url }
}
