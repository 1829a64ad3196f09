import IOCCore

/// When each target is due, as a plain value so that it is tested without clocks or I/O.
///
/// Each target runs on its own interval at a stable offset within it (from a hash of its labels), so
/// targets with the same interval spread out instead of firing together, a restart keeps the same
/// phase, and a slow probe never shifts the next one: due times advance by whole intervals.
public struct ProbeSchedule: Sendable {
    private var due: [Int64]
    private let intervals: [Int64]

    /// Schedules `targets` from `now` (ms since the epoch): each is first due at its next slot.
    public init(targets: [ProbeTarget], now: Int64) {
        intervals = targets.map { max(1, $0.interval.inMilliseconds) }
        due = zip(targets, intervals).map { target, interval in
            ProbeSchedule.nextSlot(
                after: now - 1, interval: interval, offset: ProbeSchedule.offset(of: target, interval: interval))
        }
    }

    /// A target's stable phase within its interval.
    public static func offset(of target: ProbeTarget, interval: Int64) -> Int64 {
        Int64(target.labels.stableHash % UInt64(interval))
    }

    /// The first time after `time` that falls on `offset` within a period of `interval`.
    static func nextSlot(after time: Int64, interval: Int64, offset: Int64) -> Int64 {
        let base = time - ((time % interval) + interval) % interval + offset
        return base > time ? base : base + interval
    }

    /// The earliest time any target is due.
    public var nextDue: Int64? { due.min() }

    /// The due time of target `index`.
    public func dueTime(of index: Int) -> Int64 { due[index] }

    /// Targets due at or before `now`, with the time each was due; each advances to its next slot after
    /// `now` (slots missed while the process was stalled are skipped, not run in a burst).
    public mutating func takeDue(now: Int64) -> [(index: Int, due: Int64)] {
        var taken: [(index: Int, due: Int64)] = []
        for index in due.indices where due[index] <= now {
            taken.append((index, due[index]))
            let interval = intervals[index]
            let missed = (now - due[index]) / interval
            due[index] += (missed + 1) * interval
        }
        return taken
    }
}
