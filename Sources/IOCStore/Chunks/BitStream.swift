/// Bits appended most-significant first into bytes, for the chunk encodings. Bits gather in a word
/// and go to the bytes eight at a time: appending them a byte at a time, each with its bounds and
/// uniqueness checks, was most of the cost of encoding a chunk.
struct BitWriter {
    private var storage: [UInt8] = []
    /// The bits not yet in `storage`, in the low `pending` bits (fewer than 8 between calls).
    private var word: UInt64 = 0
    private var pending = 0

    init(capacity: Int = 64) { storage.reserveCapacity(capacity) }

    /// The bytes written, the last padded with zero bits.
    var bytes: [UInt8] {
        guard pending > 0 else { return storage }
        return storage + [UInt8(truncatingIfNeeded: word << UInt64(8 - pending))]
    }

    mutating func write(bit: Bool) { write(bit ? 1 : 0, count: 1) }

    /// Appends the low `count` bits of `value` (count in 0...64), most significant first.
    mutating func write(_ value: UInt64, count: Int) {
        guard count > 0 else { return }
        if count > 56 {
            // The word holds at most 7 pending bits and 56 new ones.
            write(value >> UInt64(count - 32), count: 32)
            write(value, count: count - 32)
            return
        }
        let bits = count == 64 ? value : value & ((1 << UInt64(count)) - 1)
        word = word << UInt64(count) | bits
        pending += count
        while pending >= 8 {
            pending -= 8
            storage.append(UInt8(truncatingIfNeeded: word >> UInt64(pending)))
        }
    }

    /// Appends an unsigned LEB128 varint, byte-aligned.
    mutating func writeVarint(_ value: UInt64) {
        if pending > 0 {
            storage.append(UInt8(truncatingIfNeeded: word << UInt64(8 - pending)))
            pending = 0
        }
        word = 0
        var rest = value
        while rest >= 0x80 {
            storage.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        storage.append(UInt8(rest))
    }
}

/// Reads what `BitWriter` wrote, from a buffer that has at least 8 bytes after the data (so that
/// every read is one unaligned 8-byte load). Reading past the data is an error, never a crash.
struct BitReader {
    private let bytes: UnsafeRawBufferPointer
    let limit: Int  // in bits
    var position: Int  // in bits

    /// `bytes` holds `count` bytes of data followed by at least 8 more.
    init(_ bytes: UnsafeRawBufferPointer, count: Int, fromByte start: Int = 0) {
        precondition(bytes.count >= count + 8, "a BitReader's buffer needs 8 bytes of padding")
        self.bytes = bytes
        limit = count * 8
        position = start * 8
    }

    /// Where the bytes start, for the decoders' unchecked loops.
    var baseAddress: UnsafeRawPointer? { bytes.baseAddress }

    /// The next 57 or more bits at the top of a word.
    @inline(__always) private func window() -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: position >> 3, as: UInt64.self)) << UInt64(position & 7)
    }

    mutating func readBit() throws(ChunkError) -> Bool { try read(count: 1) == 1 }

    /// The number of 1 bits before the first 0, at most `limit` (≤ 8), consumed with that 0 (the 0
    /// is not consumed when `limit` ones were read): the bucket prefixes of the chunk encodings.
    @inline(__always) mutating func readOnes(limit ones: Int) throws(ChunkError) -> Int {
        let count = min(ones, (~window()).leadingZeroBitCount)
        let consumed = count == ones ? count : count + 1
        guard position + consumed <= limit else { throw ChunkError.truncated }
        position += consumed
        return count
    }

    /// The next `count` bits (0...64), most significant first.
    @inline(__always) mutating func read(count: Int) throws(ChunkError) -> UInt64 {
        guard count > 0 else { return 0 }
        guard position + count <= limit else { throw ChunkError.truncated }
        if count <= 56 {
            let value = window() >> UInt64(64 - count)
            position += count
            return value
        }
        let high = window() >> UInt64(64 - 32)
        position += 32
        let low = window() >> UInt64(64 - (count - 32))
        position += count - 32
        return high << UInt64(count - 32) | low
    }

    /// An unsigned LEB128 varint, starting at the next byte boundary.
    mutating func readVarint() throws(ChunkError) -> UInt64 {
        position = (position + 7) & ~7
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < limit, shift < 64 else { throw ChunkError.truncated }
            let byte = bytes[position >> 3]
            position += 8
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }
}

/// A chunk that cannot be decoded.
public enum ChunkError: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated
    case unknownEncoding(UInt8)

    public var description: String {
        switch self {
        case .truncated: "the chunk ends too early"
        case .unknownEncoding(let code): "unknown chunk encoding \(code)"
        }
    }
}

@inline(__always) func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
@inline(__always) func unzigzag(_ value: UInt64) -> Int64 {
    Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
}
