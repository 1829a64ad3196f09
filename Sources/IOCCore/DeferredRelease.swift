import Dispatch

/// Frees a large read's intermediate state after the reader has moved on: a range query over 5,000
/// series made and dropped tens of thousands of arrays on the request's thread, and freeing them
/// (a cache miss for each array's reference count, then the allocator) was a fifth of the part of
/// the query no other core could share. Handed here, they are released on one background thread
/// of low priority while the answer is encoded and sent.
///
/// What is handed over leaves the caller's hands; an array that others still hold (a series' samples
/// in the answer) is only released there, not freed. Small values are not worth the hand-over (a
/// rule's few series): callers hand over only reads of at least `worthwhile` series.
public enum DeferredRelease {
    /// Reads of fewer series than this release their state where they are.
    public static let worthwhile = 512

    private static let queue = DispatchQueue(label: "ioc-release", qos: .utility)

    /// Releases what `value` holds on the background thread, leaving `empty` in its place. The
    /// caller's reference is gone before the background thread can run, so the last release is
    /// that thread's.
    public static func later<Value>(_ value: inout Value, leaving empty: Value) {
        let box = Box(value)
        value = empty
        queue.async { box.empty() }
    }

    /// Holds the value until the background thread empties it. `@unchecked Sendable`: the value is
    /// moved in on the caller's thread and touched again only by the background thread, to drop it.
    private final class Box<Value>: @unchecked Sendable {
        private var value: Value?

        init(_ value: Value) { self.value = value }

        func empty() { value = nil }
    }
}
