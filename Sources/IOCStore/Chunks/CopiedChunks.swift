import IOCCore
import Synchronization

/// Closed chunks copied out of SQLite into one buffer, each followed by the padding the decoder
/// needs, listed per series in the order read (hour order), to be decoded after the read on every
/// core; chunks the cache holds are taken from it there instead.
///
/// The read copies every row's bytes, held in the cache or not, and asks the cache nothing: the
/// scan runs on one thread inside SQLite's transaction, and a lookup there (a hash probe and a
/// retain, each a cache miss) cost more than copying the row, which SQLite has just read. A range
/// sum over 5,000 series spent 5.4 ms a query on one thread in that scan, three quarters of it in
/// its 10,000 lookups.
struct CopiedChunks {
    /// Where a chunk's bytes lie in `bytes`, its key in the cache, and the series' next chunk.
    fileprivate struct Chunk {
        var offset: Int
        var count: Int
        var key: DecodedChunkCache.Key?
        var next = -1
    }

    private var bytes: [UInt8] = []
    private var chunks: [Chunk] = []
    /// Per series, the index of its first and of its last chunk (-1: none): the lists of every series
    /// linked through `chunks`, instead of an array of its own for each.
    private var first: [Int]
    private var last: [Int]
    private let cache: DecodedChunkCache?
    private static let padding = [UInt8](repeating: 0, count: 8)
    /// A series' samples and whether one is a staleness marker, or the damage that stopped its decoding.
    typealias Decoded = (samples: [Sample], stale: Bool, damage: ChunkError?)

    /// A read's buffers, emptied, for the next read of the same reader: allocated afresh, the 5 MB
    /// that a range sum over 5,000 series copies were faulted in page by page, on one thread, at
    /// every read (a tenth of that thread's time in the read).
    struct Buffers {
        fileprivate var bytes: [UInt8] = []
        fileprivate var chunks: [Chunk] = []
    }

    /// Buffers larger than this are not kept for the next read (a day's read over every series):
    /// each of the daemon's readers may keep this much.
    static let keptBufferBytes = 8 << 20

    init(series: Int, cache: DecodedChunkCache?, reusing buffers: consuming Buffers) {
        first = Array(repeating: -1, count: series)
        last = first
        self.cache = cache
        bytes = buffers.bytes
        chunks = buffers.chunks
        bytes.removeAll(keepingCapacity: true)
        chunks.removeAll(keepingCapacity: true)
    }

    /// The buffers to keep for the next read, unless they grew too large.
    var buffersToKeep: Buffers {
        let size = bytes.capacity + chunks.capacity * MemoryLayout<Chunk>.stride
        return size <= CopiedChunks.keptBufferBytes ? Buffers(bytes: bytes, chunks: chunks) : Buffers()
    }

    mutating func add(_ statement: Statement, column: Int32, of position: Int, partition: Int64, row: Int64) {
        statement.withBlob(column) { blob in
            let index = chunks.count
            chunks.append(
                Chunk(
                    offset: bytes.count, count: blob.count,
                    key: cache.map { _ in DecodedChunkCache.Key(partition: partition, row: row) }))
            if last[position] >= 0 { chunks[last[position]].next = index } else { first[position] = index }
            last[position] = index
            bytes.append(contentsOf: blob)
            bytes.append(contentsOf: CopiedChunks.padding)
        }
    }

    /// Each series' samples in `start...end`, decoded on every core, each chunk taken from the cache
    /// when it holds it. Chunks that go to the cache are decoded whole; one read puts at most half
    /// the cache's size in it, so that one large query does not push out everything the dashboards
    /// keep reading, and a large query asked again (a dashboard's panel over every series) finds more
    /// of itself there each time.
    func decode(from start: Int64, through end: Int64, then open: HeadTable.MemorySamples) -> [Decoded] {
        let allowance = (cache?.capacity ?? 0) / 2
        let admitted = Atomic<Int>(0)
        return bytes.withUnsafeBytes { buffer in
            ParallelWork.map(first.count, minimum: 16) { position in
                let held = position < open.count ? open[position] : nil
                guard first[position] >= 0 else {
                    let samples = held?.joined ?? []
                    return (samples, samples.holdsStaleMarker, nil)
                }
                // Room for every sample at once (each chunk counts its samples after the encoding
                // byte), rather than growing by doubling and copying.
                var room = held?.count ?? 0
                var index = first[position]
                while index >= 0 {
                    room &+= CopiedChunks.samples(in: buffer, at: chunks[index].offset, count: chunks[index].count)
                    index = chunks[index].next
                }
                var samples: [Sample] = []
                samples.reserveCapacity(room)
                index = first[position]
                while index >= 0 {
                    let chunk = chunks[index]
                    index = chunk.next
                    if let key = chunk.key, let hit = cache?.samples(key, length: chunk.count) {
                        samples += hit.window(from: start, through: end)
                        continue
                    }
                    let padded = UnsafeRawBufferPointer(rebasing: buffer[chunk.offset..<chunk.offset + chunk.count + 8])
                    do throws(ChunkError) {
                        let claimed = CopiedChunks.samples(in: buffer, at: chunk.offset, count: chunk.count)
                        if let key = chunk.key, let cache,
                            admitted.add(claimed, ordering: .relaxed).newValue <= allowance
                        {
                            var whole: [Sample] = []
                            try ChunkCodec.decode(padded, count: chunk.count, from: .min, through: .max, into: &whole)
                            cache.insert(key, length: chunk.count, samples: whole)
                            samples += whole.window(from: start, through: end)
                        } else {
                            try ChunkCodec.decode(padded, count: chunk.count, from: start, through: end, into: &samples)
                        }
                    } catch {
                        return ([], false, error)
                    }
                }
                if let held {
                    guard let last = samples.last else {
                        let joined = held.joined
                        return (joined, joined.holdsStaleMarker, nil)
                    }
                    held.append(after: last.timestamp, to: &samples)
                }
                // Looked at while the series is still in the processor's cache, rather than by the
                // engine after every series has been read.
                return (samples, samples.holdsStaleMarker, nil)
            }
        }
    }

    /// The samples the chunk of `count` bytes at `offset` says it holds (after its encoding byte), no
    /// more than its bytes can hold (what the decoder takes): a damaged count must not reserve the
    /// memory it names.
    private static func samples(in buffer: UnsafeRawBufferPointer, at offset: Int, count: Int) -> Int {
        let padded = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count + 8])
        let claimed = Int(clamping: ChunkCodec.claimedSamples(padded, count: count) ?? 0)
        return Swift.max(0, Swift.min(claimed, Swift.max(count * 8, ChunkCodec.mostRegularSamples)))
    }
}
