/// One observation of a series: a time in milliseconds since the Unix epoch and a value.
public struct Sample: Sendable, Hashable {
    public var timestamp: Int64
    public var value: Double

    public init(timestamp: Int64, value: Double) {
        self.timestamp = timestamp
        self.value = value
    }

    /// Prometheus' staleness marker: a NaN with this exact bit pattern ends a series.
    public static let staleNaNBits: UInt64 = 0x7ff0_0000_0000_0002
    public static var staleNaN: Double { Double(bitPattern: staleNaNBits) }

    /// Whether the value is the staleness marker (and not any other NaN).
    public var isStale: Bool { value.bitPattern == Sample.staleNaNBits }

    /// Samples compare by bits, so that NaN payloads and the stale marker survive equality checks.
    public static func == (lhs: Sample, rhs: Sample) -> Bool {
        lhs.timestamp == rhs.timestamp && lhs.value.bitPattern == rhs.value.bitPattern
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(timestamp)
        hasher.combine(value.bitPattern)
    }
}

/// A sample with the labels of the series it belongs to: the unit that probes hand to the store.
public struct LabeledSample: Sendable, Equatable {
    public var labels: Labels
    public var sample: Sample

    public init(labels: Labels, sample: Sample) {
        self.labels = labels
        self.sample = sample
    }
}

/// A series with the samples of some time range, oldest first.
public struct Series: Sendable, Equatable {
    public var labels: Labels
    public var samples: [Sample]
    /// Whether `samples` hold a staleness marker, when the source found out while the samples were
    /// at hand (the store, as it decodes them); nil: unknown, and the engine looks for itself.
    public var holdsStaleMarkers: Bool?

    public init(labels: Labels, samples: [Sample], holdsStaleMarkers: Bool? = nil) {
        self.labels = labels
        self.samples = samples
        self.holdsStaleMarkers = holdsStaleMarkers
    }

    /// Labels and samples: what the source knew about them is no part of the series.
    public static func == (left: Series, right: Series) -> Bool {
        left.labels == right.labels && left.samples == right.samples
    }
}

extension Collection where Element == Sample {
    /// Whether any of these samples is a staleness marker.
    public var holdsStaleMarker: Bool {
        withContiguousStorageIfAvailable { $0.contains { $0.isStale } } ?? contains { $0.isStale }
    }
}

extension RandomAccessCollection where Index == Int {
    /// The first index whose element satisfies `predicate`, which holds for a suffix of the elements
    /// (samples in time order: `partitioningIndex { $0.timestamp > time }` is the first after `time`;
    /// series in label order: the first whose labels are not below given ones).
    @inlinable
    public func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = startIndex
        var high = endIndex
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
