package import IOCCore

/// One series' samples of an open hour in memory: encoded in parts of up to `partSize` samples with
/// the closed chunks' codec (about a byte and a half a sample), and only the latest `tailSize` or
/// fewer byte-aligned in a `CompactSamples`, which is cheap to append to. Held byte-aligned for the
/// whole hour, 5,000 probe targets' open hours took 5 bytes a sample and grew 5 MiB a minute; with a
/// tail of a whole part (3.5 bytes a sample), their open chunks fell by 15-21 MB at each ten-minute
/// encoding, all series at once.
///
/// The parts lie end to end in one buffer with eight spare bytes after the last, as the decoder
/// wants; the buffer is grown to its exact size once a part, not doubled.
package struct OpenChunk: Sendable {
    /// Where a part lies in `encoded`, and the times of its first and last samples: 24 bytes, the
    /// byte positions in 32 bits (a chunk's parts are held in one array, far below 4 GB). Times stay
    /// whole: a chunk made outside the store may start anywhere, not only at its hour.
    private struct Part {
        private var start: UInt32
        private var size: UInt32
        var first: Int64
        var last: Int64

        init(offset: Int, length: Int, first: Int64, last: Int64) {
            assert(offset >= 0 && offset + length <= Int(UInt32.max))
            start = UInt32(truncatingIfNeeded: offset)
            size = UInt32(truncatingIfNeeded: length)
            self.first = first
            self.last = last
        }

        var offset: Int { Int(start) }
        var length: Int { Int(size) }
    }

    let base: Int64
    private var encoded: [UInt8] = []
    private var parts: [Part] = []
    private var tail: CompactSamples
    private(set) var count = 0

    /// Samples encoded together at most: the part's header costs about 10 bytes, an eighth of a byte
    /// a sample.
    static let partSize = 120
    /// How many samples the tail holds before they are encoded: into the last part while it has
    /// room (decoded, joined and encoded again), else as a new part. A quarter of a part keeps the
    /// tails small; until a part is full it keeps the encoding it was first given, and once full it
    /// gets the smallest of all.
    static let tailSize = 30
    static let padding = 8
    /// What each part's record (where it lies, its first and last times) takes beside its bytes.
    static let partRecordBytes = MemoryLayout<Part>.stride

    package init(base: Int64) {
        self.base = base
        tail = CompactSamples(base: base)
    }

    /// A closed chunk (`ChunkCodec`'s bytes) as it was written, for readers of the hour just closed.
    init(closed chunk: [UInt8], base: Int64, first: Int64, last: Int64, count: Int) {
        self.init(base: base)
        append(part: chunk, first: first, last: last)
        self.count = count
    }

    /// The bytes the samples take in memory, arrays' headers aside.
    var encodedSize: Int { encoded.count + parts.count * OpenChunk.partRecordBytes + tail.bytes.count }

    /// The bytes its arrays have reserved, headers aside: what the chunk costs in memory.
    var heldBytes: Int { encoded.capacity + parts.capacity * OpenChunk.partRecordBytes + tail.bytes.capacity }

    package mutating func append(_ sample: Sample) {
        tail.append(sample)
        count += 1
        guard tail.count >= OpenChunk.tailSize else { return }
        var samples = tail.samples()
        var encoding: ChunkCodec.Encoding?
        if let last = parts.last, let held = sampleCount(of: last), held <= OpenChunk.partSize - samples.count {
            encoding = ChunkCodec.Encoding(rawValue: encoded[last.offset] & 0x7F)
            var joined: [Sample] = []
            joined.reserveCapacity(held + samples.count)
            decodeParts(from: .min, through: .max, into: &joined, only: parts.count - 1)
            joined += samples
            samples = joined
            parts.removeLast()
            // As the buffer stood after the part before: its bytes and the padding's place.
            encoded.removeLast(encoded.count - (last.offset + OpenChunk.padding))
        }
        // A part joined again soon keeps the encoding it had; a full one gets the smallest.
        let part =
            if let encoding, samples.count < OpenChunk.partSize {
                ChunkCodec.encode(samples, preferring: encoding)
            } else {
                ChunkCodec.encode(samples)
            }
        append(part: part, first: samples[0].timestamp, last: samples[samples.count - 1].timestamp)
        // A new tail, not this one emptied: a buffer kept at its largest for every series held more
        // at 5,000 targets than tails grown afresh.
        tail = CompactSamples(base: base)
    }

    /// How many samples a part holds, as its header says.
    private func sampleCount(of part: Part) -> Int? {
        encoded.withUnsafeBytes { buffer in
            // Every part has the padding or a later part's bytes after it.
            ChunkCodec.claimedSamples(UnsafeRawBufferPointer(rebasing: buffer[part.offset...]), count: part.length)
                .flatMap { Int(exactly: $0) }
        }
    }

    private mutating func append(part: [UInt8], first: Int64, last: Int64) {
        let offset = encoded.isEmpty ? 0 : encoded.count - OpenChunk.padding
        let needed = offset + part.count + OpenChunk.padding
        if encoded.capacity < needed {
            // To the exact size while the chunk is small (an hour of probes is a few hundred
            // bytes), by a quarter more beyond: a dense hour imported must not copy its bytes at
            // every part.
            var grown: [UInt8] = []
            grown.reserveCapacity(needed > 4096 ? needed + needed / 4 : needed)
            grown += encoded.prefix(offset)
            encoded = grown
        } else {
            encoded.removeLast(encoded.count - offset)
        }
        encoded += part
        encoded += repeatElement(0, count: OpenChunk.padding)
        // Grown by one while there are few (five or six an hour for most series), doubled beyond.
        if parts.count < 16 { parts.reserveCapacity(parts.count + 1) }
        parts.append(Part(offset: offset, length: part.count, first: first, last: last))
    }

    /// Appends the samples in `start...end` to `samples`, in time order.
    package func decode(from start: Int64, through end: Int64, into samples: inout [Sample]) {
        guard count > 0 else { return }
        if !parts.isEmpty { decodeParts(from: start, through: end, into: &samples) }
        tail.decode(from: start, through: end, into: &samples)
    }

    /// How many samples the encoded parts hold; the rest are in the byte-aligned tail.
    var partSamples: Int { count - tail.count }
    /// How many parts the encoded samples are in.
    var partCount: Int { parts.count }

    /// Appends the samples in `start...end` to `samples`, taking the parts' samples from `cache` when
    /// it holds them (`key` names this chunk there). The parts' samples never change once encoded (a
    /// part joined again only gains later ones), so an entry with as many samples as the parts hold
    /// now is theirs. When the range covers every part (a
    /// range query or a long window ending now: the reads that come again), the parts are decoded
    /// whole and kept; a short one (a rule's last minutes: less than `HeadTable.ringWindow`, even
    /// when it covers the few parts of an hour's first minutes) decodes only the parts it touches
    /// and keeps nothing, so that rules over probes do not fill the cache with open hours.
    func decode(
        from start: Int64, through end: Int64, into samples: inout [Sample], cache: DecodedChunkCache?,
        key: DecodedChunkCache.Key
    ) {
        guard let whole = cachedParts(from: start, through: end, cache: cache, key: key) else {
            decode(from: start, through: end, into: &samples)
            return
        }
        let window = whole.window(from: start, through: end)
        // Room for the tail too, so that decoding it does not move what the window put there.
        samples.reserveCapacity(samples.count + window.count + tail.count)
        samples += window
        tail.decode(from: start, through: end, into: &samples)
    }

    /// The samples in `start...end` as `decode(from:through:into:cache:key:)` finds them, in two
    /// pieces: the window of the parts' samples that the cache holds (shared with it, not copied),
    /// and the tail's; or, when the cache does not hold the parts, every sample in the second.
    func pieces(from start: Int64, through end: Int64, cache: DecodedChunkCache?, key: DecodedChunkCache.Key)
        -> (window: ArraySlice<Sample>, rest: [Sample])
    {
        var rest: [Sample] = []
        guard let whole = cachedParts(from: start, through: end, cache: cache, key: key) else {
            decode(from: start, through: end, into: &rest)
            return ([], rest)
        }
        tail.decode(from: start, through: end, into: &rest)
        return (whole.window(from: start, through: end), rest)
    }

    /// The parts' samples from `cache`, decoded and put there first if the read covers them all
    /// and is long enough (see `decode(from:through:into:cache:key:)`); nil if not.
    private func cachedParts(
        from start: Int64, through end: Int64, cache: DecodedChunkCache?, key: DecodedChunkCache.Key
    )
        -> [Sample]?
    {
        guard let cache, let first = parts.first, let last = parts.last else { return nil }
        if let whole = cache.samples(key, length: partSamples) { return whole }
        let (span, overflow) = end.subtractingReportingOverflow(start)
        guard start <= first.first, end >= last.last, overflow || span >= HeadTable.ringWindow else { return nil }
        var decoded: [Sample] = []
        decoded.reserveCapacity(partSamples)
        decodeParts(from: .min, through: .max, into: &decoded)
        cache.insert(key, length: partSamples, samples: decoded)
        return decoded
    }

    /// Decodes the parts (or only the one at index `only`) that overlap `start...end`.
    private func decodeParts(from start: Int64, through end: Int64, into samples: inout [Sample], only: Int? = nil) {
        encoded.withUnsafeBytes { buffer in
            for part in only.map({ parts[$0...$0] }) ?? parts[...] where part.last >= start && part.first <= end {
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[part.offset...])
                // Encoded here from samples that were appended in order: it cannot be damaged.
                try? ChunkCodec.decode(bytes, count: part.length, from: start, through: end, into: &samples)
            }
        }
    }

    /// Every sample, for closing the chunk.
    func samples() -> [Sample] {
        var samples: [Sample] = []
        samples.reserveCapacity(count)
        decode(from: .min, through: .max, into: &samples)
        return samples
    }
}
