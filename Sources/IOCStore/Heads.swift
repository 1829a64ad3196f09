import IOCCore
import Synchronization

/// A series' samples of one hour block that are not yet closed into a partition (or were closed so
/// recently that readers in this process still find them here).
struct Head: Sendable {
    let block: Int64
    var samples: OpenChunk
    /// Written to its partition; kept in memory a while for this process's readers.
    var sealed = false

    init(block: Int64) {
        self.block = block
        samples = OpenChunk(base: block)
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

        /// The earliest hour among the closed heads kept for readers (`.max`: none), so that they are
        /// forgotten when their time is up without looking through every series after each commit.
        private(set) var earliestSealed = Int64.max

        subscript(id: Int64) -> [Head] {
            get { id >= 0 && id < heads.count ? heads[Int(id)] : [] }
            set {
                if id >= heads.count { heads.append(contentsOf: repeatElement([], count: Int(id) + 1 - heads.count)) }
                heads[Int(id)] = newValue
                for head in newValue where head.sealed { earliestSealed = min(earliestSealed, head.block) }
            }
        }

        /// Puts `chunk` (the same samples, closed) in place of the head of `block` of series `id`.
        mutating func replace(_ id: Int64, block: Int64, with chunk: OpenChunk) {
            guard id >= 0, id < heads.count,
                let index = heads[Int(id)].firstIndex(where: { $0.block == block }),
                heads[Int(id)][index].samples.count == chunk.count
            else { return }
            heads[Int(id)][index].samples = chunk
        }

        /// The samples of the head of `block` of series `id` (empty if it has none).
        func chunk(_ id: Int64, block: Int64) -> OpenChunk {
            self[id].first { $0.block == block }?.samples ?? OpenChunk(base: block)
        }

        /// Marks the head of `block` of series `id` as written to its partition.
        mutating func markSealed(_ id: Int64, block: Int64) {
            guard id >= 0, id < heads.count, let index = heads[Int(id)].firstIndex(where: { $0.block == block })
            else { return }
            heads[Int(id)][index].sealed = true
            earliestSealed = min(earliestSealed, block)
        }

        /// Forgets the closed heads that `expired` says readers no longer need from memory.
        mutating func removeSealed(where expired: (Head) -> Bool) {
            earliestSealed = .max
            for series in heads.indices where heads[series].contains(where: \.sealed) {
                heads[series].removeAll { $0.sealed && expired($0) }
                for head in heads[series] where head.sealed { earliestSealed = min(earliestSealed, head.block) }
            }
        }

        /// Appends a sample (later than the series' others) to the head of its hour, starting one if
        /// needed, and to the series' ring. Returns the block of the head it started, if it did, and
        /// the block of the open head the series moved on from, if any.
        mutating func append(_ sample: Sample, of id: Int64) -> (started: Int64?, left: Int64?) {
            let series = Int(id)
            if series >= heads.count { heads.append(contentsOf: repeatElement([], count: series + 1 - heads.count)) }
            remember(sample, of: series)
            let block = Partitions.block(of: sample.timestamp)
            if let last = heads[series].indices.last, heads[series][last].block == block, !heads[series][last].sealed {
                heads[series][last].samples.append(sample)
                return (nil, nil)
            }
            var left: Int64?
            if let last = heads[series].last, !last.sealed { left = last.block }
            var head = Head(block: block)
            head.samples.append(sample)
            heads[series].append(head)
            return (block, left)
        }

        /// The latest `recentCapacity` samples of the series that queries read recently, decoded,
        /// in flat rings side by side: a query of many series' last minutes reads them in one sweep
        /// through memory instead of following each series' chunk and decoding it. A series gets
        /// its ring the first time a query reads its open hour (see `samples`), not when it is
        /// made: rings for all 70,000 series of 5,000 probe targets took 36 MB, and rules and
        /// dashboards read a few of each target's fourteen.
        private var recent: [Sample] = []
        /// Per ring, how many samples its series has put in it, ever.
        private var recentCount: [Int] = []
        /// Per series id, its ring, or -1.
        private var ring: [Int32] = []
        /// A power of two.
        static let recentCapacity = 32
        /// How many series have a ring.
        var rings: Int { recentCount.count }

        /// The bytes the heads' chunks and the rings have reserved.
        var memory: (chunks: Int, rings: Int) {
            var chunks = heads.capacity * MemoryLayout<[Head]>.stride
            for series in heads where !series.isEmpty {
                chunks += series.capacity * MemoryLayout<Head>.stride
                for head in series { chunks += head.samples.heldBytes }
            }
            let rings =
                recent.capacity * MemoryLayout<Sample>.stride + recentCount.capacity * MemoryLayout<Int>.stride
                + ring.capacity * MemoryLayout<Int32>.stride
            return (chunks, rings)
        }

        private mutating func remember(_ sample: Sample, of series: Int) {
            guard series < ring.count, ring[series] >= 0 else { return }
            let slot = Int(ring[series])
            recent[slot * State.recentCapacity + recentCount[slot] % State.recentCapacity] = sample
            recentCount[slot] += 1
        }

        /// Gives series `id` a ring, filled with its latest samples in memory, if it has none.
        mutating func makeRing(_ id: Int64) {
            let series = Int(id)
            guard series >= 0, series < heads.count else { return }
            if series >= ring.count {
                // Grown by an eighth, to exactly that, as `recent` below.
                let count = max(series + 1, ring.count + ring.count / 8)
                ring.reserveCapacity(count)
                ring.append(contentsOf: repeatElement(-1, count: count - ring.count))
            }
            guard ring[series] < 0 else { return }
            var latest: [Sample] = []
            for head in heads[series] { head.samples.decode(from: .min, through: .max, into: &latest) }
            let slot = recentCount.count
            if (slot + 1) * State.recentCapacity > recent.count {
                let slots = max(slot + 1, slot + slot / 8)
                recent.reserveCapacity(slots * State.recentCapacity)
                recent.append(
                    contentsOf: repeatElement(
                        Sample(timestamp: 0, value: 0), count: slots * State.recentCapacity - recent.count))
            }
            recentCount.append(0)
            ring[series] = Int32(slot)
            for sample in latest.suffix(State.recentCapacity) { remember(sample, of: series) }
        }

        /// Appends the samples of series `id` in `start...end` from its ring, if it has one and the
        /// ring holds all of them (its oldest sample is at or before `start`); false if not.
        func recall(_ id: Int64, from start: Int64, through end: Int64, into samples: inout [Sample]) -> Bool {
            let series = Int(id)
            guard series >= 0, series < ring.count, ring[series] >= 0 else { return false }
            let slot = Int(ring[series])
            let total = recentCount[slot]
            guard total > 0 else { return false }
            let first = total - min(total, State.recentCapacity)
            let base = slot * State.recentCapacity
            return recent.withUnsafeBufferPointer { all in
                let ring = UnsafeBufferPointer(rebasing: all[base..<base + State.recentCapacity])
                func at(_ index: Int) -> Sample { ring[index & (State.recentCapacity - 1)] }
                guard at(first).timestamp <= start else { return false }
                var low = first
                while low < total && at(low).timestamp < start { low += 1 }
                var high = low
                while high < total && at(high).timestamp <= end { high += 1 }
                samples.reserveCapacity(samples.count + high - low)
                for index in low..<high { samples.append(at(index)) }
                return true
            }
        }

        mutating func removeAll() {
            earliestSealed = .max
            heads.removeAll()
            recent.removeAll()
            recentCount.removeAll()
            ring.removeAll()
        }
    }

    let state = Mutex(State())
    /// Counts the writer's commits that made series: a reader in this process looks for new series
    /// (two statements, each its own read transaction, four `fcntl` locks) only after one, not at
    /// every query.
    private let seriesCommits = Atomic<Int>(0)

    /// Called by the writer after a commit that made series.
    func committedNewSeries() { seriesCommits.wrappingAdd(1, ordering: .releasing) }

    /// Read before a reader looks for new series: if it is the same at the next look, the writer has
    /// committed none since.
    var seriesCommitCount: Int { seriesCommits.load(ordering: .acquiring) }

    /// What memory holds of a series in a read, in order: `earlier` (the heads of hours before the
    /// last one read, decoded), `window` (of the last head's parts as the cache keeps them decoded,
    /// shared with it rather than copied) and `samples` (that head's tail, or all a ring held); and
    /// the earliest time from which memory holds all of the series (older data is in the
    /// partitions). A range read over 5,000 series copied the open hour twice, into these and then
    /// into the answer.
    struct Held {
        var earlier: [Sample] = []
        var window: ArraySlice<Sample> = []
        var samples: [Sample]
        var since: Int64

        var count: Int { earlier.count + window.count + samples.count }

        /// The samples as one array: `samples` itself when it is all there is, else one copy.
        var joined: [Sample] {
            guard !earlier.isEmpty || !window.isEmpty else { return samples }
            var all: [Sample] = []
            all.reserveCapacity(count)
            all += earlier
            all += window
            all += samples
            return all
        }

        /// Appends those later than `time` to `result`.
        func append(after time: Int64, to result: inout [Sample]) {
            result += earlier[earlier.partitioningIndex { $0.timestamp > time }...]
            result += window[window.partitioningIndex { $0.timestamp > time }...]
            result += samples[samples.partitioningIndex { $0.timestamp > time }...]
        }
    }

    /// Per series read, what memory holds of it (nil: nothing).
    typealias MemorySamples = [Held?]
    /// Reads at most this long (ms) that reach the open hour give their series rings.
    static let ringWindow: Int64 = 30 * 60_000

    /// Forgets the closed heads of hours that began by `limit`, if there are any; true if it did.
    func forgetSealed(beganBy limit: Int64) -> Bool {
        state.withLock { state in
            guard state.earliestSealed <= limit else { return false }
            state.removeSealed { $0.block <= limit }
            return true
        }
    }

    /// For each of `ids`, the samples in `start...end` held in memory and the earliest time from
    /// which memory holds them all (the earliest block held; older data is in the partitions); nil
    /// for a series with nothing in memory.
    func samples(of ids: [Int64], from start: Int64, through end: Int64, cache: DecodedChunkCache? = nil)
        -> MemorySamples
    {
        state.withLock { state in
            // The last minutes are in the rings: a copy each, on this thread (waking others costs
            // more). The rest are decoded on every core while the lock is held.
            var result: MemorySamples = []
            result.reserveCapacity(ids.count)
            var decode: [Int] = []
            for (position, id) in ids.enumerated() {
                var samples: [Sample] = []
                if state.recall(id, from: start, through: end, into: &samples) {
                    result.append(Held(samples: samples, since: .min))
                } else {
                    result.append(nil)
                    decode.append(position)
                }
            }
            let decoded = { (state: State) in
                ParallelWork.map(decode.count, minimum: 64) { index -> Held? in
                    let id = ids[decode[index]]
                    let heads = state[id]
                    guard let oldest = heads.first?.block else { return nil }
                    func overlaps(_ head: Head) -> Bool {
                        head.block + Partitions.blockMilliseconds > start && head.block <= end
                    }
                    var held = Held(samples: [], since: oldest)
                    guard let last = heads.lastIndex(where: overlaps) else { return held }
                    for head in heads[..<last] where overlaps(head) {
                        head.samples.decode(
                            from: start, through: end, into: &held.earlier, cache: cache,
                            key: DecodedChunkCache.Key(partition: head.block, row: id, open: true))
                    }
                    (held.window, held.samples) = heads[last].samples.pieces(
                        from: start, through: end, cache: cache,
                        key: DecodedChunkCache.Key(partition: heads[last].block, row: id, open: true))
                    return held
                }
            }(state)
            // A short read reaching the open hour (a rule's window, a live panel) gives the series
            // a ring for the next time; the decoding above is done and shares no storage now. A
            // long one (a day's chart) would need more than a ring holds, and does not look.
            let (earliest, overflow) = end.subtractingReportingOverflow(HeadTable.ringWindow)
            let short = !overflow && start >= earliest
            for (index, position) in decode.enumerated() {
                result[position] = decoded[index]
                if short, let newest = state[ids[position]].last?.block, end >= newest {
                    state.makeRing(ids[position])
                }
            }
            return result
        }
    }
}
