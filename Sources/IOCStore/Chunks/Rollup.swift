public import IOCCore

/// A bucket of a series' samples summarised for long dashboard ranges: what `min_over_time`,
/// `max_over_time`, `sum_over_time`, `count_over_time` and `last_over_time` need, per 5 minutes or
/// per hour. Staleness markers are left out; a NaN counts and makes the sum NaN, as in Prometheus,
/// while min and max pass over it unless the bucket has nothing else.
public struct Rollup: Sendable, Equatable {
    /// The bucket widths kept, in milliseconds.
    public static let resolutions: [Int64] = [300_000, 3_600_000]

    public var start: Int64
    public var min: Double
    public var max: Double
    public var sum: Double
    public var count: Int64
    /// The last sample of the bucket.
    public var last: Sample

    public init(start: Int64, min: Double, max: Double, sum: Double, count: Int64, last: Sample) {
        self.start = start
        self.min = min
        self.max = max
        self.sum = sum
        self.count = count
        self.last = last
    }

    /// Bucket starts are multiples of the resolution since the epoch.
    static func bucket(of timestamp: Int64, resolution: Int64) -> Int64 {
        timestamp >= 0 ? timestamp / resolution * resolution : ((timestamp + 1) / resolution - 1) * resolution
    }

    /// The rollups of `samples` (in time order) at `resolution`.
    static func summarise(_ samples: [Sample], resolution: Int64) -> [Rollup] {
        var result: [Rollup] = []
        for sample in samples where !sample.isStale {
            let start = bucket(of: sample.timestamp, resolution: resolution)
            let single = Rollup(
                start: start, min: sample.value, max: sample.value, sum: sample.value, count: 1, last: sample)
            if let current = result.last, current.start == start {
                result[result.count - 1] = current.merged(with: single)
            } else {
                result.append(single)
            }
        }
        return result
    }

    /// This bucket with a later part of the same bucket (from the next chunk) folded in.
    func merged(with later: Rollup) -> Rollup {
        func pick(_ a: Double, _ b: Double, _ better: (Double, Double) -> Bool) -> Double {
            if a.isNaN { return b }
            if b.isNaN { return a }
            return better(a, b) ? a : b
        }
        return Rollup(
            start: start, min: pick(min, later.min, <), max: pick(max, later.max, >), sum: sum + later.sum,
            count: count + later.count, last: later.last)
    }
}

extension Rollup {
    /// Two rollups are equal when their fields have the same bits (NaN compares equal to itself).
    public static func == (lhs: Rollup, rhs: Rollup) -> Bool {
        lhs.start == rhs.start && lhs.min.bitPattern == rhs.min.bitPattern && lhs.max.bitPattern == rhs.max.bitPattern
            && lhs.sum.bitPattern == rhs.sum.bitPattern && lhs.count == rhs.count && lhs.last == rhs.last
    }
}
