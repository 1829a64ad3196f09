import IOCCore
import Synchronization

/// A series' samples of one hour block that are not yet closed into a partition (or were closed so
/// recently that readers in this process still find them here).
struct Head: Sendable {
    let block: Int64
    var samples: CompactSamples
    /// Written to its partition; kept in memory a while for this process's readers.
    var sealed = false

    init(block: Int64) {
        self.block = block
        samples = CompactSamples(base: block)
    }
}

/// The open chunks of every series, shared by the writer thread (which changes them after each
/// commit) and the readers of the same process (which decode what they need under the lock).
/// They mirror what is committed: a failed commit leaves them as they were.
final class HeadTable: Sendable {
    struct State {
        /// Per series id (ids are SQLite row ids, dense from 1), its heads in block order: usually
        /// one, two around the turn of an hour. An array, not a dictionary: a reader of every series
        /// then follows fewer pointers.
        private(set) var heads: [[Head]] = []

        /// The series that have heads, with them.
        var all: some Sequence<(id: Int64, heads: [Head])> {
            heads.indices.lazy.filter { !self.heads[$0].isEmpty }.map { (Int64($0), self.heads[$0]) }
        }

        subscript(id: Int64) -> [Head] {
            get { id >= 0 && id < heads.count ? heads[Int(id)] : [] }
            set {
                if id >= heads.count { heads.append(contentsOf: repeatElement([], count: Int(id) + 1 - heads.count)) }
                heads[Int(id)] = newValue
            }
        }

        mutating func modify(_ id: Int64, _ body: (inout [Head]) -> Void) {
            if id >= heads.count { heads.append(contentsOf: repeatElement([], count: Int(id) + 1 - heads.count)) }
            body(&heads[Int(id)])
        }

        mutating func removeAll() { heads.removeAll() }
    }

    let state = Mutex(State())

    /// For each of `ids`, the samples in `start...end` held in memory and the earliest block held
    /// (older data is in the partitions); nil for a series with nothing in memory.
    func samples(of ids: [Int64], from start: Int64, through end: Int64) -> [(samples: [Sample], since: Int64)?] {
        state.withLock { state in
            ids.map { id in
                let heads = state[id]
                guard let oldest = heads.first?.block else { return nil }
                var samples: [Sample] = []
                for index in heads.indices
                where heads[index].block + Partitions.blockMilliseconds > start && heads[index].block <= end {
                    heads[index].samples.decode(from: start, through: end, into: &samples)
                }
                return (samples, oldest)
            }
        }
    }
}
