public import IOCCore

/// A run of one series' samples in a byte-aligned form that is cheap to append to and to skip:
/// the latest samples of the open chunks in memory (`OpenChunk`) and the sections of the log use it. Closed chunks use the denser
/// bit-level `ChunkCodec` instead, which needs the whole chunk to choose its encoding.
///
/// Timestamps are zigzag varints of the delta-of-delta (the first one relative to a base the holder
/// keeps); values are one tag byte and then nothing (the same as the previous value), a zigzag varint
/// (a decimal with `tag` digits after the point, as probe durations and status codes are) or the
/// 8 bytes of the bit pattern; or the tag is itself a small non-negative integer. Every value comes
/// back bit for bit.
package struct CompactSamples: Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0
    let base: Int64
    private(set) var lastTimestamp: Int64
    private var lastBits: UInt64 = 0
    private var delta: Int64 = 0

    static let sameValue: UInt8 = 10
    static let rawValue: UInt8 = 11
    /// Tags from this one up are the integers 0, 1, ... themselves: up, success, most status codes.
    static let smallIntegers: UInt8 = 12

    @inline(__always) static func smallInteger(_ value: Double) -> UInt8? {
        guard value >= 0, value <= Double(255 - smallIntegers), value == value.rounded(), value.sign == .plus else {
            return nil
        }
        return smallIntegers + UInt8(value)
    }

    package init(base: Int64) {
        self.base = base
        lastTimestamp = base
    }

    var first: Int64? { count == 0 ? nil : CompactSamples.firstTimestamp(bytes, base: base) }

    package mutating func append(_ sample: Sample) {
        let newDelta = sample.timestamp &- lastTimestamp
        if count == 0 {
            writeVarint(zigzag(newDelta))
        } else {
            writeVarint(zigzag(newDelta &- delta))
        }
        delta = newDelta
        lastTimestamp = sample.timestamp
        let bits = sample.value.bitPattern
        if count > 0 && bits == lastBits {
            bytes.append(CompactSamples.sameValue)
        } else if let small = CompactSamples.smallInteger(sample.value) {
            bytes.append(small)
        } else if let (decimals, integer) = CompactSamples.decimal(sample.value) {
            bytes.append(UInt8(decimals))
            writeVarint(zigzag(integer))
        } else {
            bytes.append(CompactSamples.rawValue)
            withUnsafeBytes(of: bits.littleEndian) { bytes.append(contentsOf: $0) }
        }
        lastBits = bits
        count += 1
    }

    /// `value` as `integer / 10^decimals` with the fewest decimals that give back the same bits.
    @inline(__always) static func decimal(_ value: Double) -> (Int, Int64)? {
        guard value.isFinite, !(value == 0 && value.sign == .minus), abs(value) < 9e15 else { return nil }
        if value == value.rounded() { return (0, Int64(value)) }
        for decimals in 1..<ChunkCodec.powersOfTen.count where ChunkCodec.isExact(value, decimals: decimals) {
            return (decimals, Int64((value * ChunkCodec.powersOfTen[decimals]).rounded()))
        }
        return nil
    }

    private mutating func writeVarint(_ value: UInt64) { appendVarint(value, to: &bytes) }

    private static func firstTimestamp(_ bytes: [UInt8], base: Int64) -> Int64? {
        bytes.withUnsafeBytes { buffer in
            var cursor = ByteCursor(buffer)
            return (try? cursor.varint()).map { base &+ unzigzag($0) }
        }
    }

    /// Where a decoder stands before the sample at `index`.
    struct DecoderState {
        var offset: Int
        var index: Int
        var timestamp: Int64
        var delta: Int64
        var bits: UInt64
    }

    /// Decodes `count` samples from `bytes`, appending those in `start...end` to `samples`.
    static func decode(
        _ bytes: UnsafeRawBufferPointer, count: Int, base: Int64, from start: Int64 = .min, through end: Int64 = .max,
        into samples: inout [Sample]
    ) throws(ChunkError) {
        try decode(
            bytes, count: count, state: DecoderState(offset: 0, index: 0, timestamp: base, delta: 0, bits: 0),
            from: start, through: end, into: &samples)
    }

    private static func decode(
        _ bytes: UnsafeRawBufferPointer, count: Int, state: DecoderState, from start: Int64, through end: Int64,
        into samples: inout [Sample]
    ) throws(ChunkError) {
        var cursor = ByteCursor(bytes)
        try cursor.skip(to: state.offset)
        var timestamp = state.timestamp
        var delta = state.delta
        var bits = state.bits
        let powers = ChunkCodec.powersOfTen
        for index in state.index..<count {
            let encoded = unzigzag(try cursor.varint())
            delta = index == 0 ? encoded : delta &+ encoded
            timestamp &+= delta
            if timestamp > end { return }
            let tag = try cursor.byte()
            switch tag {
            case sameValue:
                guard index > 0 else { throw ChunkError.truncated }
            case rawValue:
                bits = try cursor.uint64()
            case smallIntegers...:
                bits = Double(tag - smallIntegers).bitPattern
            default:
                guard Int(tag) < powers.count else { throw ChunkError.unknownEncoding(tag) }
                let integer = unzigzag(try cursor.varint())
                bits = (Double(integer) / powers[Int(tag)]).bitPattern
            }
            if timestamp >= start {
                samples.append(Sample(timestamp: timestamp, value: Double(bitPattern: bits)))
            }
        }
    }

    /// The samples in `start...end` (decoded from the first: an open chunk's byte-aligned tail is
    /// short, `OpenChunk.tailSize` samples at most).
    package func decode(from start: Int64, through end: Int64, into samples: inout [Sample]) {
        guard count > 0, lastTimestamp >= start else { return }
        let state = DecoderState(offset: 0, index: 0, timestamp: base, delta: 0, bits: 0)
        samples.reserveCapacity(samples.count + count)
        bytes.withUnsafeBytes { buffer in
            try? CompactSamples.decode(buffer, count: count, state: state, from: start, through: end, into: &samples)
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

/// Reads bytes and varints from a buffer; reading past the end is an error, never a crash.
struct ByteCursor {
    private let buffer: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    @inline(__always) mutating func byte() throws(ChunkError) -> UInt8 {
        guard offset < buffer.count else { throw ChunkError.truncated }
        defer { offset += 1 }
        return buffer[offset]
    }

    @inline(__always) mutating func varint() throws(ChunkError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            value |= UInt64(next & 0x7F) << shift
            if next < 0x80 { return value }
            shift += 7
            guard shift < 64 else { throw ChunkError.truncated }
        }
    }

    mutating func uint64() throws(ChunkError) -> UInt64 {
        guard 8 <= buffer.count - offset else { throw ChunkError.truncated }
        defer { offset += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    mutating func skip(to offset: Int) throws(ChunkError) {
        guard offset <= buffer.count else { throw ChunkError.truncated }
        self.offset = offset
    }

    /// The next `count` bytes, skipped.
    mutating func take(_ count: Int) throws(ChunkError) -> UnsafeRawBufferPointer {
        // Compared without adding: a length read from damaged bytes may be near Int.max.
        guard count >= 0, count <= buffer.count - offset else { throw ChunkError.truncated }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count])
    }
}

/// One commit's samples in the log: every series' new samples as a `CompactSamples` section, with a
/// directory in front so that a reader looking for a few series skips the others without decoding.
///
/// Layout: the varint number of sections, then per section the varint delta of its series id from
/// the previous one and its byte length (shifted left, with the low bit set when the section holds
/// one sample, else followed by the sample count); then the sections in the same order. Each
/// section's timestamps are based at the previous section's first (the first section's at 0):
/// the series of one probe are next to each other and share their timestamp, which then costs a
/// byte.
public enum LogRecord {
    static func encode(_ sections: [(id: Int64, samples: CompactSamples)]) -> [UInt8] {
        var header: [UInt8] = []
        appendVarint(UInt64(sections.count), to: &header)
        var previous: Int64 = 0
        var size = 0
        for section in sections {
            appendVarint(UInt64(bitPattern: section.id &- previous), to: &header)
            let length = UInt64(section.samples.bytes.count) << 1
            if section.samples.count == 1 {
                appendVarint(length | 1, to: &header)
            } else {
                appendVarint(length, to: &header)
                appendVarint(UInt64(section.samples.count), to: &header)
            }
            previous = section.id
            size += section.samples.bytes.count
        }
        var bytes = header
        bytes.reserveCapacity(bytes.count + size)
        for section in sections { bytes.append(contentsOf: section.samples.bytes) }
        return bytes
    }

    /// Appends `sample` to the sections, starting a section when the series changes; samples come
    /// grouped by series.
    static func add(_ sample: Sample, of id: Int64, to sections: inout [(id: Int64, samples: CompactSamples)]) {
        if sections.last?.id != id {
            sections.append((id, CompactSamples(base: sections.last?.samples.first ?? 0)))
        }
        sections[sections.count - 1].samples.append(sample)
    }

    /// Calls `body` with each section whose series `wants`, in series order.
    static func sections(
        _ record: UnsafeRawBufferPointer, where wants: (Int64) -> Bool,
        _ body: (_ id: Int64, _ base: Int64, _ count: Int, _ bytes: UnsafeRawBufferPointer) throws(ChunkError) -> Void
    ) throws(ChunkError) {
        var cursor = ByteCursor(record)
        // Counts are read as untrusted: a count beyond the record's size is damage, not a loop bound.
        guard let sectionCount = Int(exactly: try cursor.varint()), sectionCount <= record.count else {
            throw ChunkError.truncated
        }
        var directory: [(id: Int64, count: Int, length: Int)] = []
        directory.reserveCapacity(min(sectionCount, record.count))
        var id: Int64 = 0
        for _ in 0..<sectionCount {
            id &+= Int64(bitPattern: try cursor.varint())
            let length = try cursor.varint()
            let count = length & 1 == 1 ? 1 : Int(exactly: try cursor.varint()) ?? Int.max
            guard count <= record.count else { throw ChunkError.truncated }
            directory.append((id, count, Int(length >> 1)))
        }
        var base: Int64 = 0
        for entry in directory {
            let bytes = try cursor.take(entry.length)
            if wants(entry.id) { try body(entry.id, base, entry.count, bytes) }
            var first = ByteCursor(bytes)
            base &+= unzigzag(try first.varint())
        }
    }
}

/// Appends an unsigned LEB128 varint.
func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
    var rest = value
    while rest >= 0x80 {
        bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
        rest >>= 7
    }
    bytes.append(UInt8(rest))
}

extension LogRecord {
    /// Every sample of a log record read as untrusted bytes (from the file, or from anyone): each
    /// count and length checked, so that damage throws and never traps. Replay and the fuzzer read
    /// records through this.
    public static func samples(in record: UnsafeRawBufferPointer) throws(ChunkError) -> [(id: Int64, sample: Sample)] {
        var result: [(id: Int64, sample: Sample)] = []
        try sections(record, where: { _ in true }) { id, base, count, section throws(ChunkError) in
            var decoded: [Sample] = []
            try CompactSamples.decode(section, count: count, base: base, into: &decoded)
            result += decoded.map { (id, $0) }
        }
        return result
    }
}

extension LogRecord {
    /// The log record of `samples` (grouped by series, each series in time order), as a commit
    /// writes it: seeds for the fuzzer and records for tests.
    public static func encode(samples: [(id: Int64, sample: Sample)]) -> [UInt8] {
        var sections: [(id: Int64, samples: CompactSamples)] = []
        for item in samples { add(item.sample, of: item.id, to: &sections) }
        return encode(sections)
    }
}
