import IOCCore

/// Closed chunks copied out of SQLite into one buffer, each followed by the padding the decoder
/// needs, listed per series in the order read (hour order), to be decoded after the read; chunks the
/// cache holds are taken from it instead.
struct CopiedChunks {
    enum Chunk {
        case bytes(offset: Int, count: Int, key: DecodedChunkCache.Key?)
        case decoded([Sample])
    }

    private var bytes: [UInt8] = []
    /// Per series, its chunks.
    private var chunks: [[Chunk]]
    private let cache: DecodedChunkCache?
    private static let padding = [UInt8](repeating: 0, count: 8)
    /// A series' samples and whether one is a staleness marker, or the damage that stopped its decoding.
    typealias Decoded = (samples: [Sample], stale: Bool, damage: ChunkError?)

    /// How many chunks a series' list has room for when its first is added.
    private let perSeries: Int

    init(series: Int, cache: DecodedChunkCache?, hours: Int) {
        chunks = Array(repeating: [], count: series)
        self.cache = cache
        perSeries = Swift.max(1, Swift.min(hours, 64))
    }

    private mutating func append(_ chunk: Chunk, to position: Int) {
        // Each list made once at the size the read's hours need, not grown one, two, four.
        if chunks[position].isEmpty { chunks[position].reserveCapacity(perSeries) }
        chunks[position].append(chunk)
    }

    mutating func add(_ statement: Statement, column: Int32, of position: Int, partition: Int64, row: Int64) {
        statement.withBlob(column) { blob in
            let key = cache.map { _ in DecodedChunkCache.Key(partition: partition, row: row) }
            if let key, let samples = cache?.samples(key, length: blob.count) {
                append(.decoded(samples), to: position)
                return
            }
            append(.bytes(offset: bytes.count, count: blob.count, key: key), to: position)
            bytes.append(contentsOf: blob)
            bytes.append(contentsOf: CopiedChunks.padding)
        }
    }

    /// Each series' samples in `start...end`, decoded on every core. Chunks that go to the cache are
    /// decoded whole; one read puts at most half the cache's size in it (the chunks of its first
    /// series, up to that), so that one large query does not push out everything the dashboards
    /// keep reading, and a large query asked again (a dashboard's panel over every series) finds
    /// more of itself there each time.
    func decode(from start: Int64, through end: Int64, then open: HeadTable.MemorySamples) -> [Decoded] {
        bytes.withUnsafeBytes { buffer in
            var missed = 0
            var admitted = 0
            let allowance = (self.cache?.capacity ?? 0) / 2
            for list in chunks {
                for case .bytes(let offset, let count, _) in list {
                    missed &+= CopiedChunks.samples(in: buffer, at: offset, count: count)
                }
                if missed <= allowance { admitted += 1 }
            }
            return ParallelWork.map(chunks.count, minimum: 16) { position in
                let held = position < open.count ? open[position]?.samples : nil
                if chunks[position].isEmpty {
                    let samples = held ?? []
                    return (samples, samples.holdsStaleMarker, nil)
                }
                let cache = position < admitted ? self.cache : nil
                var samples: [Sample] = []
                // Room for every sample of the chunks at once (each counts its samples after the
                // encoding byte), rather than growing by doubling and copying.
                samples.reserveCapacity(
                    chunks[position].reduce(held?.count ?? 0) { total, chunk in
                        switch chunk {
                        case .decoded(let decoded): return total + decoded.count
                        case .bytes(let offset, let count, _):
                            return total &+ CopiedChunks.samples(in: buffer, at: offset, count: count)
                        }
                    })
                for chunk in chunks[position] {
                    switch chunk {
                    case .decoded(let decoded):
                        samples += decoded.window(from: start, through: end)
                    case .bytes(let offset, let count, let key):
                        let padded = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count + 8])
                        do throws(ChunkError) {
                            if let key, let cache {
                                var whole: [Sample] = []
                                try ChunkCodec.decode(padded, count: count, from: .min, through: .max, into: &whole)
                                cache.insert(key, length: count, samples: whole)
                                samples += whole.window(from: start, through: end)
                            } else {
                                try ChunkCodec.decode(padded, count: count, from: start, through: end, into: &samples)
                            }
                        } catch {
                            return ([], false, error)
                        }
                    }
                }
                if let held {
                    guard let last = samples.last else { return (held, held.holdsStaleMarker, nil) }
                    samples += held[held.partitioningIndex { $0.timestamp > last.timestamp }...]
                }
                // Looked at while the series is still in the processor's cache, rather than by the
                // engine after every series has been read.
                return (samples, samples.holdsStaleMarker, nil)
            }
        }
    }

    /// Hands the chunks' lists (each decoded chunk a reference to the cache's samples) to
    /// `DeferredRelease`, once decoded.
    mutating func releaseLater() {
        DeferredRelease.later(&chunks, leaving: [])
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
