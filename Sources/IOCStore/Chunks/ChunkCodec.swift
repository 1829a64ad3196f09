public import IOCCore

/// Compressed blocks of one series' samples, as Prometheus and the Gorilla paper store them:
/// timestamps as delta-of-delta, values XOR-encoded against the previous one, or, when every value
/// of the chunk is a decimal with few digits (probe durations, status codes), as scaled integers
/// whose deltas take a few bits. The encoder tries both value encodings and keeps the smaller.
/// Every value comes back bit for bit: NaN payloads, the stale marker, ±Inf and -0.0 included.
public enum ChunkCodec {
    /// The value encoding of a chunk, its first byte.
    public enum Encoding: UInt8, Sendable {
        case xor = 1
        case scaledInteger = 2
        /// Scaled integers as their distance from the chunk's least, each in the same number of
        /// bits: for noise (a latency's microseconds) about 17 bits where a delta takes 23.
        case frameOfReference = 3
        /// Distances from the least as digits of base `range + 1`, a group of them to one number
        /// (`MixedRadix`): a distance of 0...99,999 takes 16.7 bits rather than 17, for chunks
        /// with evenly spaced timestamps.
        case mixedRadix = 4
    }

    /// Encodes samples (timestamps in any order the caller keeps; the store keeps them increasing).
    public static func encode(_ samples: [Sample]) -> [UInt8] {
        let xor = encode(samples, encoding: .xor)
        guard let scaled = scaledIntegers(samples) else { return xor }
        let integer = encode(samples, encoding: .scaledInteger, scale: scaled)
        let framed = encode(samples, encoding: .frameOfReference, scale: scaled)
        let digits = isRegular(samples) ? encode(samples, encoding: .mixedRadix, scale: scaled) : xor
        return [integer, framed, digits].reduce(xor) { $1.count < $0.count ? $1 : $0 }
    }

    /// Encodes samples with `encoding` where their values allow it, else as `encode` would: for an
    /// open hour's part that will be encoded again with more samples within minutes, where trying
    /// every encoding costs four times the time for bytes held a few minutes.
    static func encode(_ samples: [Sample], preferring encoding: Encoding) -> [UInt8] {
        guard encoding != .xor else { return encode(samples, encoding: .xor) }
        guard let scaled = scaledIntegers(samples) else { return encode(samples) }
        let chosen: Encoding = encoding == .mixedRadix && !isRegular(samples) ? .frameOfReference : encoding
        return encode(samples, encoding: chosen, scale: scaled)
    }

    /// How many samples a chunk's header says it holds (the varint after its encoding byte), nil if
    /// its bytes end first. `padded` holds the chunk's `count` bytes and at least eight more. Read
    /// as a claim: a damaged chunk may say more than its bytes hold.
    static func claimedSamples(_ padded: UnsafeRawBufferPointer, count: Int) -> UInt64? {
        var reader = BitReader(padded, count: count, fromByte: 1)
        return try? reader.readVarint()
    }

    /// The encoding a chunk was written with.
    public static func encoding(of chunk: [UInt8]) -> Encoding? {
        chunk.first.flatMap { Encoding(rawValue: $0 & 0x7F) }
    }

    public static func decode(_ chunk: [UInt8]) throws(ChunkError) -> [Sample] {
        var samples: [Sample] = []
        try decode(padded: chunk + [0, 0, 0, 0, 0, 0, 0, 0], count: chunk.count, into: &samples)
        return samples
    }

    /// Appends a chunk's samples in `start...end` to `samples`. The chunk is the first `count` bytes
    /// of `padded`, which has at least eight more after them so that the reader can load a word
    /// wherever it stands (readers keep one such buffer and refill it for each chunk).
    public static func decode(
        padded: [UInt8], count chunkCount: Int, from start: Int64 = .min, through end: Int64 = .max,
        into samples: inout [Sample]
    ) throws(ChunkError) {
        guard chunkCount > 0 else { throw ChunkError.truncated }
        guard let encoding = Encoding(rawValue: padded[0] & 0x7F) else { throw ChunkError.unknownEncoding(padded[0]) }
        let outcome: Result<Void, ChunkError> = padded.withUnsafeBytes { bytes in
            Result { () throws(ChunkError) in
                try decode(bytes, count: chunkCount, encoding: encoding, from: start, through: end, into: &samples)
            }
        }
        try outcome.get()
    }

    /// `decode(padded:count:from:through:into:)` of a chunk in memory the caller holds.
    static func decode(
        _ padded: UnsafeRawBufferPointer, count chunkCount: Int, from start: Int64, through end: Int64,
        into samples: inout [Sample]
    ) throws(ChunkError) {
        guard chunkCount > 0, padded.count >= chunkCount + 8 else { throw ChunkError.truncated }
        guard let encoding = Encoding(rawValue: padded[0] & 0x7F) else { throw ChunkError.unknownEncoding(padded[0]) }
        try decode(padded, count: chunkCount, encoding: encoding, from: start, through: end, into: &samples)
    }

    private static func decode(
        _ bytes: UnsafeRawBufferPointer, count chunkCount: Int, encoding: Encoding, from start: Int64,
        through end: Int64, into samples: inout [Sample]
    ) throws(ChunkError) {
        var reader = BitReader(bytes, count: chunkCount, fromByte: 1)
        // Read as untrusted: a varint beyond Int is damage, not a trap.
        guard let count = Int(exactly: try reader.readVarint()) else { throw ChunkError.truncated }
        guard count > 0 else { return }
        var decimals = 0
        var frame: (minimum: Int64, width: Int) = (0, 0)
        if encoding != .xor {
            guard let read = Int(exactly: try reader.readVarint()) else { throw ChunkError.truncated }
            decimals = read
        }
        var radix: MixedRadix?
        if encoding == .frameOfReference || encoding == .mixedRadix {
            frame.minimum = unzigzag(try reader.readVarint())
            let parameter = try reader.readVarint()
            if encoding == .mixedRadix {
                guard let digits = MixedRadix(base: parameter) else { throw ChunkError.truncated }
                radix = digits
            } else {
                guard parameter <= 64 else { throw ChunkError.truncated }
                frame.width = Int(parameter)
            }
        }
        // A count the bytes cannot hold is damage; evenly spaced constant values take no bits, so
        // such a chunk may hold up to an hour at one sample a millisecond.
        let regular = bytes[0] & regularTimestamps != 0
        guard decimals < powersOfTen.count, count <= chunkCount * 8 || (regular && count <= mostRegularSamples) else {
            throw ChunkError.truncated
        }
        @inline(__always) func add(_ timestamp: Int64, _ value: Double) {
            if timestamp >= start && timestamp <= end { samples.append(Sample(timestamp: timestamp, value: value)) }
        }
        var timestamp = unzigzag(try reader.readVarint())
        var value = Values(encoding: encoding, decimals: decimals, frame: frame)
        guard regular || radix == nil else { throw ChunkError.truncated }
        if regular {
            try decodeRegular(
                &reader, count: count, first: timestamp, values: &value, frame: frame, radix: radix, from: start,
                through: end, into: &samples)
            return
        }
        add(timestamp, try value.read(&reader, first: true))
        guard count > 1 else { return }
        var delta = unzigzag(try reader.readVarint())
        timestamp &+= delta
        add(timestamp, try value.read(&reader, first: false))
        // The loop of every chunk: one per encoding, so that nothing is decided per sample; scaled
        // integers first through the unchecked loop, then checked for the last samples.
        if encoding == .scaledInteger {
            var integer = value.previousInteger
            let scale = ChunkCodec.powersOfTen[decimals]
            var remaining = count - 2
            // The padded buffer has at least 8 bytes, so it has an address.
            if let base = bytes.baseAddress {
                Window(start: start, end: end).scaledIntegers(
                    base, &reader.position, upTo: reader.limit - 160, &remaining, &timestamp, &delta, &integer, scale,
                    &samples)
            }
            for _ in 0..<remaining {
                delta &+= try readDeltaOfDelta(&reader)
                timestamp &+= delta
                integer &+= try readScaledDelta(&reader)
                add(timestamp, Double(integer) / scale)
            }
        } else {
            for _ in 2..<count {
                delta &+= try readDeltaOfDelta(&reader)
                timestamp &+= delta
                add(timestamp, try value.read(&reader, first: false))
            }
        }
    }

    /// The time range a decoder keeps samples of, and the decoders' unchecked loops.
    private struct Window {
        let start: Int64
        let end: Int64

        /// Scaled-integer samples while even the longest (145 bits) ends inside the data, without
        /// bounds checks: one word is loaded per sample and both halves are cut from it when they
        /// fit (a steady interval and a change of up to 20 bits take at most 25), so that the next
        /// sample's position waits on one load, not four. A function of its own, small enough for
        /// the optimiser to keep everything in registers.
        @inline(never)
        func scaledIntegers(
            _ base: UnsafeRawPointer, _ position: inout Int, upTo safeEnd: Int, _ remaining: inout Int,
            _ timestamp: inout Int64, _ delta: inout Int64, _ integer: inout Int64, _ scale: Double,
            _ samples: inout [Sample]
        ) {
            @inline(__always) func word(_ at: Int) -> UInt64 {
                UInt64(bigEndian: (base + (at >> 3)).loadUnaligned(as: UInt64.self)) << UInt64(at & 7)
            }
            @inline(__always) func word64(_ at: Int) -> UInt64 { word(at) & ~0xFF | word(at + 56) >> 56 }
            var at = position
            var time = timestamp
            var step = delta
            var current = integer
            var left = remaining
            defer {
                position = at
                timestamp = time
                delta = step
                integer = current
                remaining = left
            }
            while left > 0 && at <= safeEnd {
                let bits = word(at)
                var used: UInt64
                let ones = min(4, (~bits).leadingZeroBitCount)
                switch ones {
                case 0: used = 1
                case 4:
                    step &+= Int64(bitPattern: word64(at + 4))
                    at += 68
                    used = 0
                default:
                    let width: UInt64 = ones == 1 ? 7 : ones == 2 ? 14 : 20
                    let prefix = UInt64(ones + 1)
                    let change = Int64(bitPattern: bits << prefix) >> Int64(64 - width)
                    // The bucket's one positive number past two's complement (see `writeDeltaOfDelta`).
                    step &+= change == -1 << Int64(width - 1) ? -change : change
                    used = prefix + width
                }
                time &+= step
                let rest = used == 0 ? word(at) : bits << used
                let valueOnes = min(4, (~rest).leadingZeroBitCount)
                switch valueOnes {
                case 0: used += 1
                case 4:
                    at += Int(used)
                    current &+= unzigzag(word64(at + 4))
                    at += 68
                    used = 0
                default:
                    let width: UInt64 = valueOnes == 1 ? 6 : valueOnes == 2 ? 13 : 20
                    let prefix = UInt64(valueOnes + 1)
                    current &+= unzigzag((rest << prefix) >> (64 - width))
                    used += prefix + width
                }
                at += Int(used)
                if time >= start && time <= end {
                    samples.append(Sample(timestamp: time, value: Double(current) / scale))
                }
                left -= 1
            }
        }
    }

    /// The most samples a chunk of evenly spaced constant values (which take no bits) may say it
    /// holds: an hour at one sample a millisecond, about.
    static let mostRegularSamples = 1 << 22

    static let powersOfTen: [Double] = (0...9).map { exponent in (0..<exponent).reduce(1.0) { value, _ in value * 10 } }

    /// The number of decimals (0-9) at which every value is an exact integer multiple of 10^-d, so
    /// that `Double(integer) / 10^d` gives back the same bits; nil if there is none.
    static func scaledIntegers(_ samples: [Sample]) -> Int? {
        var decimals = 0
        for sample in samples {
            let value = sample.value
            guard value.isFinite, !(value == 0 && value.sign == .minus) else { return nil }
            while decimals < powersOfTen.count && !isExact(value, decimals: decimals) { decimals += 1 }
            guard decimals < powersOfTen.count else { return nil }
        }
        // A larger scale chosen for a later value must still hold for the earlier ones.
        return samples.allSatisfy { isExact($0.value, decimals: decimals) } ? decimals : nil
    }

    @inline(__always) static func isExact(_ value: Double, decimals: Int) -> Bool {
        let scaled = (value * powersOfTen[decimals]).rounded()
        guard abs(scaled) < 9.007_199_254_740_992e15 else { return false }
        return (scaled / powersOfTen[decimals]).bitPattern == value.bitPattern
    }

    static func encode(_ samples: [Sample], encoding: Encoding, scale: Int = 0) -> [UInt8] {
        var writer = BitWriter(capacity: samples.count * 2 + 16)
        writer.writeVarint(UInt64(samples.count))
        guard let first = samples.first else { return [encoding.rawValue] + writer.bytes }
        let regular = isRegular(samples)
        if encoding != .xor { writer.writeVarint(UInt64(scale)) }
        var frame: (minimum: Int64, width: Int) = (0, 0)
        var radix: (MixedRadix, [UInt64])?
        if encoding == .frameOfReference || encoding == .mixedRadix {
            let power = powersOfTen[scale]
            let integers = samples.map { Int64(($0.value * power).rounded()) }
            let least = integers.min() ?? 0
            let range = integers.reduce(UInt64(0)) { max($0, UInt64(bitPattern: $1 &- least)) }
            frame = (least, 64 - range.leadingZeroBitCount)
            writer.writeVarint(zigzag(least))
            if encoding == .mixedRadix {
                // Only evenly spaced chunks, and only a base the decoder accepts.
                guard isRegular(samples), range < UInt64.max, let digits = MixedRadix(base: range + 1) else {
                    return encode(samples, encoding: .frameOfReference, scale: scale)
                }
                writer.writeVarint(range + 1)
                radix = (digits, integers.map { UInt64(bitPattern: $0 &- least) })
            } else {
                writer.writeVarint(UInt64(frame.width))
            }
        }
        writer.writeVarint(zigzag(first.timestamp))
        var previousTimestamp = first.timestamp
        var delta: Int64 = 0
        var value = Values(encoding: encoding, decimals: scale, frame: frame)
        if regular {
            writer.writeVarint(zigzag(samples[1].timestamp &- first.timestamp))
            if let (digits, distances) = radix {
                digits.write(distances, &writer)
            } else {
                for (index, sample) in samples.enumerated() { value.write(sample.value, &writer, first: index == 0) }
            }
            return [encoding.rawValue | regularTimestamps] + writer.bytes
        }
        value.write(first.value, &writer, first: true)
        for (index, sample) in samples.enumerated().dropFirst() {
            let newDelta = sample.timestamp &- previousTimestamp
            if index == 1 {
                writer.writeVarint(zigzag(newDelta))
            } else {
                writeDeltaOfDelta(newDelta &- delta, &writer)
            }
            delta = newDelta
            previousTimestamp = sample.timestamp
            value.write(sample.value, &writer, first: false)
        }
        return [encoding.rawValue] + writer.bytes
    }

    /// Buckets in the manner of Prometheus': `0` for an unchanged interval, then 7, 14 or 20 bits, or
    /// the full 64. The 7-bit bucket (Prometheus starts at 14) holds the few milliseconds of jitter
    /// that probe start times have, which makes them cost 9 bits instead of 16. As in Prometheus, an
    /// n-bit bucket holds -(2^(n-1) - 1) through +2^(n-1): the bits of -2^(n-1) stand for +2^(n-1),
    /// which two's complement alone would read as its negative (and did, until 2026-12: a sample 64
    /// ms later than its interval said was read 128 ms early, and every later one of its chunk with
    /// it; the readers now give those chunks back as written).
    private static func writeDeltaOfDelta(_ dod: Int64, _ writer: inout BitWriter) {
        switch dod {
        case 0: writer.write(0, count: 1)
        case -63...64: writer.write(0b10, count: 2); writer.write(UInt64(bitPattern: dod), count: 7)
        case -8191...8192: writer.write(0b110, count: 3); writer.write(UInt64(bitPattern: dod), count: 14)
        case -524_287...524_288: writer.write(0b1110, count: 4); writer.write(UInt64(bitPattern: dod), count: 20)
        default: writer.write(0b1111, count: 4); writer.write(UInt64(bitPattern: dod), count: 64)
        }
    }

    @inline(__always) private static func readDeltaOfDelta(_ reader: inout BitReader) throws(ChunkError) -> Int64 {
        let prefix = try reader.readOnes(limit: 4)
        let width: Int
        switch prefix {
        case 0: return 0
        case 1: width = 7
        case 2: width = 14
        case 3: width = 20
        default: width = 64
        }
        guard width > 0 else { return 0 }
        let raw = try reader.read(count: width)
        guard width < 64 else { return Int64(bitPattern: raw) }
        // Sign-extend the `width`-bit number, its lowest standing for the bucket's highest.
        let change = Int64(bitPattern: raw << UInt64(64 - width)) >> Int64(64 - width)
        return change == -1 << Int64(width - 1) ? -change : change
    }
}

extension ChunkCodec {
    /// A scaled integer's change: zigzag in 0, 6, 13, 20 or 64 bits after a unary prefix.
    @inline(__always) static func readScaledDelta(_ reader: inout BitReader) throws(ChunkError) -> Int64 {
        switch try reader.readOnes(limit: 4) {
        case 0: return 0
        case 1: return unzigzag(try reader.read(count: 6))
        case 2: return unzigzag(try reader.read(count: 13))
        case 3: return unzigzag(try reader.read(count: 20))
        default: return unzigzag(try reader.read(count: 64))
        }
    }
}

/// The value half of a chunk: XOR against the previous value (Gorilla), or zigzag deltas of scaled
/// integers in the same kind of buckets as the timestamps.
struct Values {
    let encoding: ChunkCodec.Encoding
    let decimals: Int
    /// 10^decimals, looked up once rather than per value.
    private let scale: Double
    private var previousBits: UInt64 = 0
    private var leading = 0xFF
    private var trailing = 0
    private(set) var previousInteger: Int64 = 0

    /// Carries on from a value the caller's own loop read.
    mutating func continueScaledIntegers(from integer: Int64) { previousInteger = integer }
    /// For `frameOfReference`: the chunk's least integer and the bits of each distance from it.
    private let frame: (minimum: Int64, width: Int)

    init(encoding: ChunkCodec.Encoding, decimals: Int, frame: (minimum: Int64, width: Int) = (0, 0)) {
        self.encoding = encoding
        self.decimals = decimals
        self.frame = frame
        scale = ChunkCodec.powersOfTen[decimals]
    }

    mutating func write(_ value: Double, _ writer: inout BitWriter, first: Bool) {
        switch encoding {
        case .frameOfReference, .mixedRadix:
            let integer = Int64((value * scale).rounded())
            if frame.width > 0 { writer.write(UInt64(bitPattern: integer &- frame.minimum), count: frame.width) }
        case .scaledInteger:
            let integer = Int64((value * scale).rounded())
            if first {
                writer.writeVarint(zigzag(integer))
            } else {
                let delta = zigzag(integer &- previousInteger)
                switch delta {
                case 0: writer.write(0, count: 1)
                case 1..<(1 << 6): writer.write(0b10, count: 2); writer.write(delta, count: 6)
                case (1 << 6)..<(1 << 13): writer.write(0b110, count: 3); writer.write(delta, count: 13)
                case (1 << 13)..<(1 << 20): writer.write(0b1110, count: 4); writer.write(delta, count: 20)
                default: writer.write(0b1111, count: 4); writer.write(delta, count: 64)
                }
            }
            previousInteger = integer
        case .xor:
            let bits = value.bitPattern
            if first {
                writer.write(bits, count: 64)
            } else {
                let xor = bits ^ previousBits
                if xor == 0 {
                    writer.write(0, count: 1)
                } else {
                    writer.write(1, count: 1)
                    let newLeading = min(31, xor.leadingZeroBitCount)
                    let newTrailing = xor.trailingZeroBitCount
                    if leading != 0xFF && newLeading >= leading && newTrailing >= trailing {
                        // The meaningful bits fit the previous window.
                        writer.write(0, count: 1)
                        writer.write(xor >> UInt64(trailing), count: 64 - leading - trailing)
                    } else {
                        leading = newLeading
                        trailing = newTrailing
                        let significant = 64 - leading - trailing
                        writer.write(1, count: 1)
                        writer.write(UInt64(leading), count: 5)
                        // 64 significant bits are written as 0: it cannot otherwise occur.
                        writer.write(UInt64(significant & 63), count: 6)
                        writer.write(xor >> UInt64(trailing), count: significant)
                    }
                }
            }
            previousBits = bits
        }
    }

    mutating func read(_ reader: inout BitReader, first: Bool) throws(ChunkError) -> Double {
        switch encoding {
        case .frameOfReference, .mixedRadix:
            let distance = frame.width > 0 ? try reader.read(count: frame.width) : 0
            return Double(frame.minimum &+ Int64(bitPattern: distance)) / scale
        case .scaledInteger:
            if first {
                previousInteger = unzigzag(try reader.readVarint())
            } else {
                previousInteger &+= try ChunkCodec.readScaledDelta(&reader)
            }
            return Double(previousInteger) / scale
        case .xor:
            if first {
                previousBits = try reader.read(count: 64)
            } else if try reader.readBit() {
                if try reader.readBit() {
                    leading = Int(try reader.read(count: 5))
                    var significant = Int(try reader.read(count: 6))
                    if significant == 0 { significant = 64 }
                    trailing = 64 - leading - significant
                    guard trailing >= 0 else { throw ChunkError.truncated }
                }
                guard leading != 0xFF else { throw ChunkError.truncated }
                let significant = 64 - leading - trailing
                previousBits ^= try reader.read(count: significant) << UInt64(trailing)
            }
            return Double(bitPattern: previousBits)
        }
    }
}
