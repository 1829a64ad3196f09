public import IOCCore
import IOCQuery

/// How fresh the figures on the screen are: the newest probe sample, and how often targets are
/// probed (from how many samples each has in the last two minutes). A target whose last sample is
/// older than two of its intervals is stale; when even the newest sample is that old, iocd has
/// stopped writing, and the header says so: within 15 s with probes every 5 s, not after minutes.
public struct Freshness: Sendable, Equatable {
    /// The newest probe sample's time (ms), nil when there is none.
    public var newest: Int64?
    /// The shortest interval (ms) of the targets, nil when unknown: iocd probes every target on its
    /// interval and writes every result, so when even the most frequent has missed two, it has
    /// stopped writing.
    public var interval: Int64?
    /// Each target's interval (ms), by its `instance`.
    public var intervals: [String: Int64] = [:]

    public init(newest: Int64?, interval: Int64? = nil, intervals: [String: Int64] = [:]) {
        self.newest = newest
        self.interval = interval
        self.intervals = intervals
    }

    /// How old the newest sample may be before the header says iocd has stopped writing.
    public var stoppedAfter: Int64 { interval.map { max(10_000, 2 * $0) } ?? 120_000 }

    /// How old a cell's sample may be before it shows as stale: two intervals of its target (its
    /// instance's when the cell has one, else the shortest), at least 10 s; 3 minutes when unknown.
    public func staleAfter(_ labels: Labels) -> Int64 {
        guard let interval = labels["instance"].flatMap({ intervals[$0] }) ?? interval else { return 180_000 }
        return max(10_000, 2 * interval)
    }

    /// Read at `now` through `reader`.
    public static func read(from reader: any DashboardBackend, now: Int64) -> Freshness {
        var freshness = Freshness(newest: DashboardScreen.newest(from: reader, now: now))
        guard let query = try? Query(parsing: "120 / count_over_time(probe_success[2m])"),
            case .vector(let elements)? = try? reader.instant(query, at: now)
        else { return freshness }
        var all: [Int64] = []
        // A remote backend's answer is input like any other: an interval beyond a day is no interval.
        for element in elements where element.value > 0 && element.value <= 86_400 {
            let milliseconds = Int64((element.value * 1000).rounded())
            all.append(milliseconds)
            if let instance = element.labels["instance"] { freshness.intervals[instance] = milliseconds }
        }
        freshness.interval = all.min()
        return freshness
    }
}
