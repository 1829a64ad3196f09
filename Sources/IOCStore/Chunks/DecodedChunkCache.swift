import IOCCore
import Synchronization

/// Closed chunks (and the parts of open ones) already decoded, shared by the daemon's readers: a dashboard that redraws a 24-hour
/// chart, or a rule that looks back an hour every 15 seconds, reads the same closed hours again and
/// again, and decoding them is most of a query's work. Closed chunks do not change once written
/// (later samples of an hour are refused), and an entry is used only when the row read from the
/// file has the length it had when it was decoded, so a row rewritten by some future tool is decoded
/// afresh. Bounded by a number of samples; the least recently used hours go first.
final class DecodedChunkCache: Sendable {
    struct Key: Hashable {
        /// The start of the partition's day, and the row's key there (hour << 48 | series id); for
        /// the encoded parts of an open hour in the writer's memory, the hour's start and the
        /// series id.
        var partition: Int64
        var row: Int64
        var open = false
    }

    private struct Entry {
        var samples: [Sample]
        var length: Int
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var held = 0
        var clock: UInt64 = 0
    }

    /// One part of the cache, under its own lock. A read looks its chunks up on every core, and
    /// one lock (and its use counter, written at each lookup) shared by all of them was contended:
    /// `_lockSlow` took 5 of the ~280 perf samples of a range sum over 5,000 series, 2 when split.
    private final class Shard: Sendable {
        let state = Mutex(State())
    }

    private let shards: [Shard]
    /// At most this many samples are held (16 bytes each).
    let capacity: Int
    /// At most this many in each shard.
    private let shardCapacity: Int

    /// A cache that large is split in eight by series; a small one (tests) is one part, least
    /// recently used first across all of it.
    init(capacity: Int) {
        self.capacity = capacity
        let count = capacity >= 64_000 ? 8 : 1
        shards = (0..<count).map { _ in Shard() }
        shardCapacity = capacity / count
    }

    /// A key's shard: by series id (the low bits of the row), so that series spread evenly.
    private func shard(_ key: Key) -> Shard { shards[Int(truncatingIfNeeded: key.row) & (shards.count - 1)] }

    /// The decoded samples of a chunk row, if held and the row still has `length` bytes.
    func samples(_ key: Key, length: Int) -> [Sample]? {
        shard(key).state.withLock { state in
            // One lookup, the use marked in place (reading the entry out and storing it back hashed
            // the key twice and retained and released its samples: a query over every series pays
            // that for each of its chunks).
            guard let index = state.entries.index(forKey: key), state.entries.values[index].length == length else {
                return nil
            }
            state.clock += 1
            state.entries.values[index].lastUse = state.clock
            return state.entries.values[index].samples
        }
    }

    /// Keeps a chunk's samples, unless they are more than a quarter of their shard; the shard's
    /// least recently used go when it is over its part of the capacity.
    func insert(_ key: Key, length: Int, samples: [Sample]) {
        let capacity = shardCapacity
        guard samples.count <= capacity / 4 else { return }
        shard(key).state.withLock { state in
            state.clock += 1
            if let old = state.entries.updateValue(
                Entry(samples: samples, length: length, lastUse: state.clock), forKey: key)
            {
                state.held -= old.samples.count
            }
            state.held += samples.count
            guard state.held > capacity else { return }
            // Down to three quarters at once, oldest first, so that eviction is not paid per insert.
            let target = capacity / 4 * 3
            for (key, entry) in state.entries.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
                guard state.held > target else { break }
                state.entries[key] = nil
                state.held -= entry.samples.count
            }
        }
    }

    /// How many samples are held, for tests and self-metrics.
    var held: Int { shards.reduce(0) { total, shard in total + shard.state.withLock { $0.held } } }
}
