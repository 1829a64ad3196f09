/// Bits appended most-significant first into bytes, for the chunk encodings.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    /// Free bits in the last byte (0 when a new byte is needed).
    private var free = 0

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func write(bit: Bool) { write(bit ? 1 : 0, count: 1) }

    /// Appends the low `count` bits of `value` (count in 0...64), most significant first.
    mutating func write(_ value: UInt64, count: Int) {
        var remaining = count
        while remaining > 0 {
            if free == 0 {
                bytes.append(0)
                free = 8
            }
            let take = min(free, remaining)
            let shift = remaining - take
            let chunk = UInt8(truncatingIfNeeded: (value >> UInt64(shift)) & ((1 << UInt64(take)) - 1))
            bytes[bytes.count - 1] |= chunk << UInt8(free - take)
            free -= take
            remaining -= take
        }
    }

    /// Appends an unsigned LEB128 varint, byte-aligned.
    mutating func writeVarint(_ value: UInt64) {
        free = 0
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}

/// Reads what `BitWriter` wrote. Reading past the end is an error, never a crash.
struct BitReader {
    private let bytes: [UInt8]
    private var position = 0  // in bits

    init(_ bytes: [UInt8], fromByte start: Int = 0) {
        self.bytes = bytes
        position = start * 8
    }

    mutating func readBit() throws(ChunkError) -> Bool { try read(count: 1) == 1 }

    /// The number of 1 bits before the first 0, at most `limit` (≤ 8), consumed with that 0 (the 0
    /// is not consumed when `limit` ones were read): the bucket prefixes of the chunk encodings.
    mutating func readOnes(limit: Int) throws(ChunkError) -> Int {
        let byteIndex = position >> 3
        if byteIndex + 2 <= bytes.count {
            let pair = bytes.withUnsafeBytes {
                UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: byteIndex, as: UInt16.self))
            }
            // The next `limit` bits at the top of a byte, then the count of leading ones.
            let window = UInt8(truncatingIfNeeded: (pair << UInt16(position & 7)) >> 8)
            let ones = min(limit, (~window).leadingZeroBitCount)
            position += ones == limit ? ones : ones + 1
            return ones
        }
        var ones = 0
        while ones < limit, try readBit() { ones += 1 }
        return ones
    }

    mutating func read(count: Int) throws(ChunkError) -> UInt64 {
        guard position + count <= bytes.count * 8 else { throw ChunkError.truncated }
        let byteIndex = position >> 3
        if count > 0 && count <= 56 && byteIndex + 8 <= bytes.count {
            // One unaligned 8-byte load holds the bits wanted (at most 7 + 56 of them).
            let word = bytes.withUnsafeBytes {
                UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: byteIndex, as: UInt64.self))
            }
            let value = (word << UInt64(position & 7)) >> UInt64(64 - count)
            position += count
            return value
        }
        var value: UInt64 = 0
        var remaining = count
        while remaining > 0 {
            let byte = bytes[position >> 3]
            let offset = position & 7
            let take = min(8 - offset, remaining)
            let bits = (UInt64(byte) >> UInt64(8 - offset - take)) & ((1 << UInt64(take)) - 1)
            value = (value << UInt64(take)) | bits
            position += take
            remaining -= take
        }
        return value
    }

    mutating func readVarint() throws(ChunkError) -> UInt64 {
        position = (position + 7) & ~7
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position / 8 < bytes.count, shift < 64 else { throw ChunkError.truncated }
            let byte = bytes[position / 8]
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
