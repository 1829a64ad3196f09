import Dispatch
import Foundation

/// CPU-bound work split over the cores this process may run on: the query engine's per-series
/// evaluation and the store's chunk decoding. The work runs on Dispatch's worker threads and the
/// calling thread, never on Swift's cooperative pool, and only ever on data already in memory.
public enum ParallelWork {
    /// The threads a piece of work is split over: the processors this process may use (what
    /// systemd's `CPUAffinity=` or a container leaves it), or `IOC_THREADS` when set (1 turns the
    /// splitting off).
    public static let width: Int = {
        if let text = ProcessInfo.processInfo.environment["IOC_THREADS"], let value = Int(text), value > 0 {
            return min(value, 64)
        }
        return max(1, min(64, ProcessInfo.processInfo.activeProcessorCount))
    }()

    /// Calls `body` with consecutive ranges that together cover `0..<count`, at once on up to
    /// `width` threads, each range at least `minimum` long; on the calling thread alone when the
    /// work is too small to be worth splitting. `body` must only write to what its range owns.
    public static func forEachRange(_ count: Int, minimum: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(width, count / max(1, minimum))
        guard parts > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        // A few more parts than threads, so that a thread slowed by the machine's other work is
        // not left holding a large share.
        let pieces = min(count, parts * 4)
        withoutActuallyEscaping(body) { body in
            // Each piece touches only its own range; the closure outlives none of them.
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                work(count * piece / pieces..<count * (piece + 1) / pieces)
            }
        }
    }

    /// `transform` of every index in `0..<count`, computed in parallel as `forEachRange` splits it.
    public static func map<T>(_ count: Int, minimum: Int, _ transform: (Int) -> T) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            nonisolated(unsafe) let buffer = buffer
            forEachRange(count, minimum: minimum) { range in
                for index in range { buffer.initializeElement(at: index, to: transform(index)) }
            }
            initialized = count
        }
    }
}
