import Synchronization

/// How far back in time the store may still receive samples from work under way. A producer whose
/// samples are stamped before they are handed to the writer (a probe stamped with its due time and
/// written when it ends, a rule group stamped with its evaluation time) says, at any moment, the
/// oldest time it may still stamp a sample with: its floor. Whatever reads the store in time order
/// and must not pass a sample over (remote write) reads only below the lowest floor.
///
/// A floor may lag behind the truth (it is asked, not pushed), which only makes a reader wait a
/// little longer; it must never be later than a sample still to come.
public final class SampleFloors: Sendable {
    private struct State {
        var next = 0
        var producers: [Int: @Sendable () -> Int64?] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds a producer; `floor` returns its oldest possible next timestamp (ms), or nil when it has
    /// nothing under way or scheduled. Returns the key that `remove` takes.
    public func add(_ floor: @escaping @Sendable () -> Int64?) -> Int {
        state.withLock { state in
            defer { state.next += 1 }
            state.producers[state.next] = floor
            return state.next
        }
    }

    public func remove(_ key: Int) {
        _ = state.withLock { $0.producers.removeValue(forKey: key) }
    }

    /// The lowest floor of all producers, or nil when none has one.
    public var lowest: Int64? {
        // Asked outside the lock: a producer's closure takes its own.
        let producers = state.withLock { Array($0.producers.values) }
        return producers.compactMap { $0() }.min()
    }
}
