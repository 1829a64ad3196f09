import IOCCore
@testable import IOCStore
import TestSupport
import Testing

@Suite struct ChunkCodecTests {
    /// Scheduler-aligned timestamps every 15 s with a few milliseconds of jitter.
    func timestamps(_ count: Int, seed: UInt64) -> [Int64] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { 1_795_000_000_000 + Int64($0) * 15_000 + Int64.random(in: -3...3, using: &generator) }
    }

    func roundTrip(_ samples: [Sample]) throws -> [UInt8] {
        let chunk = ChunkCodec.encode(samples)
        let decoded = try ChunkCodec.decode(chunk)
        // Sample equality is by bits: NaN payloads, the stale marker and -0.0 must come back.
        #expect(decoded == samples)
        return chunk
    }

    @Test(arguments: [1, 2, 3, 120, 1000])
    func randomDoublesComeBackBitForBit(count: Int) throws {
        var generator = SplitMix64(seed: UInt64(count))
        let samples = zip(timestamps(count, seed: 7), (0..<count).map { _ in Double(bitPattern: generator.next()) })
            .map { Sample(timestamp: $0, value: $1) }
        let chunk = try roundTrip(samples)
        #expect(ChunkCodec.encoding(of: chunk) == .xor)
    }

    @Test func specialValuesComeBackBitForBit() throws {
        let values: [Double] = [
            0, -0.0, .nan, Double(bitPattern: 0x7FF8_0000_DEAD_BEEF), Sample.staleNaN, .infinity, -.infinity,
            .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1, 1, 1, 0.1, 0.2, 0.30000000000000004,
        ]
        let samples = values.enumerated().map { Sample(timestamp: Int64($0.offset) * 1000, value: $0.element) }
        _ = try roundTrip(samples)
        #expect(try ChunkCodec.decode(ChunkCodec.encode(samples))[4].isStale)
    }

    @Test func irregularAndDecreasingTimestampsRoundTrip() throws {
        let times: [Int64] = [0, 1, 1, 5_000_000, 4_999_999, -7, .max / 4, .min / 4, 12]
        _ = try roundTrip(times.map { Sample(timestamp: $0, value: 1) })
        _ = try roundTrip([])
    }

    /// Each bucket's edges: a change of interval of +64 ms is written in the 7-bit bucket (as
    /// Prometheus writes +8192 in its 14 bits) and was read back as -64, moving that sample and every
    /// later one of the chunk 128 ms early (found beside Prometheus, `ioc-bench peers --compare`).
    @Test(arguments: [ChunkCodec.Encoding.scaledInteger, .xor, .frameOfReference])
    func everyBucketsEdgesComeBack(encoding: ChunkCodec.Encoding) throws {
        let changes: [Int64] = [
            64, -63, 65, -64, 8192, -8191, 8193, -8192, 524_288, -524_287, 524_289, -524_288, 63, -62, 1, -1, 0,
        ]
        var times: [Int64] = [1_796_623_000_000, 1_796_623_015_000]
        // Thirty rounds: enough for the scaled integers' unchecked loop, which stops 160 bits short.
        for change in Array(repeating: changes, count: 30).joined() {
            let interval = times[times.count - 1] - times[times.count - 2] + change
            times.append(times[times.count - 1] + interval)
        }
        let samples = times.enumerated().map { Sample(timestamp: $0.element, value: Double($0.offset % 5) / 4) }
        let chunk = ChunkCodec.encode(samples, encoding: encoding, scale: 2)
        var window: [Sample] = []
        try ChunkCodec.decode(padded: chunk + Array(repeating: 0, count: 8), count: chunk.count, into: &window)
        for decoded in [try ChunkCodec.decode(chunk), window] {
            let first = Array(zip(decoded, samples)).firstIndex { $0.0 != $0.1 }
            #expect(decoded.count == samples.count && first == nil, "first wrong: \(String(describing: first))")
        }
    }

    @Test func probeDurationsUseScaledIntegersAndTakeFewBytes() throws {
        var generator = SplitMix64(seed: 42)
        // Durations in seconds with microsecond resolution, as libcurl reports them.
        let durations = (0..<120).map { _ in Double(Int.random(in: 20_000...90_000, using: &generator)) / 1e6 }
        let samples = zip(timestamps(120, seed: 1), durations).map { Sample(timestamp: $0, value: $1) }
        let chunk = try roundTrip(samples)
        // Noise: the distance from the chunk's least in 17 bits beats a delta in a 20-bit bucket.
        #expect(ChunkCodec.encoding(of: chunk) == .frameOfReference)
        let xorOnly = ChunkCodec.encode(samples, encoding: .xor).count
        let deltas = ChunkCodec.encode(samples, encoding: .scaledInteger, scale: 6).count
        #expect(
            chunk.count < deltas && deltas < xorOnly, "framed \(chunk.count), deltas \(deltas), XOR \(xorOnly) bytes")
    }

    /// Long chunks whose intervals and values change by amounts of every bucket, the widest
    /// included, in both encodings: the decoders' fast loops cut several fields from one word.
    @Test(arguments: [ChunkCodec.Encoding.scaledInteger, .xor, .frameOfReference])
    func changesOfEveryBucketComeBack(encoding: ChunkCodec.Encoding) throws {
        var generator = SplitMix64(seed: 11)
        let intervalChanges: [ClosedRange<Int64>] = [0...0, -60...60, -8000...8000, -500_000...500_000, 1...1 << 40]
        let valueChanges: [ClosedRange<Int64>] = [0...0, -30...30, -4000...4000, -500_000...500_000, 1...1 << 50]
        var time: Int64 = 1_795_000_000_000
        var interval: Int64 = 15_000
        var value: Int64 = 0
        var samples: [Sample] = []
        for _ in 0..<3000 {
            interval += Int64.random(in: intervalChanges.randomElement(using: &generator)!, using: &generator)
            time += interval
            value += Int64.random(in: valueChanges.randomElement(using: &generator)!, using: &generator)
            // Below 2^45 thousandths, every value is exactly its scaled integer.
            samples.append(Sample(timestamp: time, value: Double(value % (1 << 45)) / 1000))
        }
        #expect(ChunkCodec.scaledIntegers(samples) == 3)
        let chunk = ChunkCodec.encode(samples, encoding: encoding, scale: 3)
        #expect(try ChunkCodec.decode(chunk) == samples)
        // And from a window in the middle of it.
        var window: [Sample] = []
        try ChunkCodec.decode(
            padded: chunk + [UInt8](repeating: 0, count: 8), count: chunk.count, from: samples[1000].timestamp,
            through: samples[1999].timestamp, into: &window)
        #expect(window == Array(samples[1000..<2000]))
    }

    /// Evenly spaced samples keep only their first timestamp and the interval, in every encoding;
    /// any window of them, from before the first to after the last, decodes to what it holds.
    @Test(arguments: [ChunkCodec.Encoding.scaledInteger, .xor, .frameOfReference, .mixedRadix])
    func evenlySpacedTimestampsTakeNoBitsAndAnyWindowComesBack(encoding: ChunkCodec.Encoding) async throws {
        try await onTestWorkThread {
            var generator = SplitMix64(seed: 21)
            for (first, interval) in [(Int64(1_795_000_000_000), Int64(15_000)), (-45_000, 7), (0, 0), (900, -30)] {
                let samples = (0..<240).map {
                    Sample(
                        timestamp: first + interval * Int64($0),
                        value: Double(Int.random(in: 0...300_000, using: &generator)) / 1e6)
                }
                let chunk = ChunkCodec.encode(samples, encoding: encoding, scale: 6)
                #expect(chunk[0] & ChunkCodec.regularTimestamps != 0)
                #expect(try ChunkCodec.decode(chunk) == samples)
                let padded = chunk + [UInt8](repeating: 0, count: 8)
                let times = samples.map(\.timestamp)
                let edges =
                    [Int64.min, .max, times.min()! - 1, times.max()! + 1] + times.flatMap { [$0 - 1, $0, $0 + 1] }
                for _ in 0..<300 {
                    let (start, end) = (
                        edges.randomElement(using: &generator)!, edges.randomElement(using: &generator)!
                    )
                    var window: [Sample] = []
                    try ChunkCodec.decode(padded: padded, count: chunk.count, from: start, through: end, into: &window)
                    #expect(
                        window == samples.filter { $0.timestamp >= start && $0.timestamp <= end }, "\(start)...\(end)")
                }
            }
            // The timestamps of 240 samples cost what one does.
            let constant = (0..<240).map { Sample(timestamp: 1_795_000_000_000 + Int64($0) * 15_000, value: 200) }
            #expect(ChunkCodec.encode(constant).count <= 16)
        }
    }

    /// Evenly spaced scaled integers whose changes take every bucket (none, 6, 13, 20 and 64 bits),
    /// as counters do: the unchecked loop and the checked one after it give every window back.
    @Test func evenlySpacedCountersWithChangesOfEveryWidthComeBack() throws {
        var generator = SplitMix64(seed: 33)
        var value: Int64 = 1_000
        let samples = (0..<600).map { index -> Sample in
            let change: Int64 =
                switch Int.random(in: 0..<6, using: &generator) {
                case 0: 0
                case 1: Int64.random(in: -31...31, using: &generator)
                case 2: Int64.random(in: -4_000...4_000, using: &generator)
                case 3: Int64.random(in: -500_000...500_000, using: &generator)
                case 4: Int64.random(in: -(1 << 40)...(1 << 40), using: &generator)
                default: Int64.random(in: 0...9, using: &generator)
                }
            value += change
            return Sample(timestamp: 1_795_000_000_000 + Int64(index) * 15_000, value: Double(value))
        }
        let chunk = ChunkCodec.encode(samples, encoding: .scaledInteger, scale: 0)
        #expect(chunk[0] & ChunkCodec.regularTimestamps != 0)
        #expect(try ChunkCodec.decode(chunk) == samples)
        let padded = chunk + [UInt8](repeating: 0, count: 8)
        let times = samples.map(\.timestamp)
        for _ in 0..<300 {
            let (a, b) = (times.randomElement(using: &generator)!, times.randomElement(using: &generator)!)
            let (start, end) = (min(a, b) - Int64.random(in: 0...1, using: &generator), max(a, b))
            var window: [Sample] = []
            try ChunkCodec.decode(padded: padded, count: chunk.count, from: start, through: end, into: &window)
            #expect(window == samples.filter { $0.timestamp >= start && $0.timestamp <= end }, "\(start)...\(end)")
        }
    }

    /// The writer's bytes are those of the format written bit by bit (the file format does not
    /// depend on how the writer gathers its bits), and the reader reads back what was written.
    @Test func bitsAreWrittenInTheFormatsOrder() {
        var generator = SplitMix64(seed: 12)
        for _ in 0..<200 {
            var writer = BitWriter()
            var reference: [Bool] = []
            func alignReference() { while reference.count % 8 != 0 { reference.append(false) } }
            for _ in 0..<Int.random(in: 1...60, using: &generator) {
                if Int.random(in: 0..<8, using: &generator) == 0 {
                    let value =
                        UInt64.random(in: 0...UInt64.max, using: &generator)
                        >> Int.random(in: 0...63, using: &generator)
                    writer.writeVarint(value)
                    alignReference()
                    var rest = value
                    repeat {
                        let byte = UInt8(rest & 0x7F) | (rest >= 0x80 ? 0x80 : 0)
                        reference += (0..<8).map { byte & (0x80 >> $0) != 0 }
                        rest >>= 7
                    } while rest > 0
                    continue
                }
                let count = Int.random(in: 0...64, using: &generator)
                let value = UInt64.random(in: 0...UInt64.max, using: &generator)
                writer.write(value, count: count)
                reference += (0..<count).map { value >> UInt64(count - 1 - $0) & 1 == 1 }
            }
            alignReference()
            let expected = stride(from: 0, to: reference.count, by: 8).map { start in
                (0..<8).reduce(UInt8(0)) { $0 << 1 | (reference[start + $1] ? 1 : 0) }
            }
            #expect(writer.bytes == expected)
        }
    }

    /// Numbers below any base come back from groups of digits, whole or from any index on, at
    /// bases next to powers of two and at the largest (where one digit fills a group).
    @Test func mixedRadixDigitsComeBackAtEveryBase() throws {
        var generator = SplitMix64(seed: 33)
        let bases: [UInt64] = [3, 5, 7, 10, 100_001, 65_535, 65_537, 1 << 26 + 1, (1 << 52) - 1, 1 << 52 - 3]
        for base in bases {
            let radix = try #require(MixedRadix(base: base))
            for count in [1, radix.digits - 1, radix.digits, radix.digits + 1, 241] where count > 0 {
                let numbers = (0..<count).map { _ in UInt64.random(in: 0..<base, using: &generator) }
                var writer = BitWriter(capacity: count * 8)
                radix.write(numbers, &writer)
                let bytes = writer.bytes + [UInt8](repeating: 0, count: 8)
                for lower in Set([0, count / 2, count - 1]) {
                    var read: [UInt64] = []
                    let complete = bytes.withUnsafeBytes { buffer in
                        var reader = BitReader(buffer, count: bytes.count - 8, fromByte: 0)
                        return (try? radix.read(&reader, count: count, indices: lower..<count) { read.append($1) })
                            != nil
                    }
                    #expect(complete)
                    #expect(read == Array(numbers[lower...]), "base \(base), \(count) numbers from \(lower)")
                }
            }
        }
        // Powers of two and bases beyond a group are left to whole bits.
        #expect(
            MixedRadix(base: 1 << 20) == nil && MixedRadix(base: (1 << 52) + 1) == nil && MixedRadix(base: 2) == nil)
    }

    /// Noise of 0...99,999 microseconds in evenly spaced samples: 50 bits for three values where
    /// one width takes 51.
    @Test func evenlySpacedNoiseTakesItsDigitsNotWholeBits() throws {
        var generator = SplitMix64(seed: 8)
        let samples = (0..<240).map {
            Sample(
                timestamp: 1_795_000_000_000 + Int64($0) * 15_000,
                value: Double(Int.random(in: 0...99_999, using: &generator)) / 1e6)
        }
        let chunk = try roundTrip(samples)
        #expect(ChunkCodec.encoding(of: chunk) == .mixedRadix)
        let framed = ChunkCodec.encode(samples, encoding: .frameOfReference, scale: 6).count
        #expect(chunk.count < framed && chunk.count <= 240 * 50 / 3 / 8 + 20, "\(chunk.count) against \(framed) bytes")
        // Every prefix of it is incomplete, and damage anywhere is an error or other numbers, never a trap.
        for length in 0..<chunk.count {
            #expect(throws: ChunkError.self) { try ChunkCodec.decode(Array(chunk.prefix(length))) }
        }
        for _ in 0..<2000 {
            var damaged = chunk
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(
                    in: 0...255, using: &generator)
            }
            _ = try? ChunkCodec.decode(damaged)
        }
    }

    @Test func constantSeriesCostAboutABitOrTwoPerSample() throws {
        let samples = timestamps(120, seed: 3).map { Sample(timestamp: $0, value: 200) }
        let chunk = try roundTrip(samples)
        // Timestamps with a few ms of jitter (9 bits each) and an unchanged value (1 bit): 1.25 bytes.
        #expect(chunk.count <= 120 * 3 / 2, "\(chunk.count) bytes for 120 samples")
    }

    @Test func valuesThatAreNotShortDecimalsFallBackToXOR() throws {
        let samples = [0.1, 1.0 / 3.0, 2.5].enumerated().map { Sample(timestamp: Int64($0.offset), value: $0.element) }
        #expect(ChunkCodec.encoding(of: try roundTrip(samples)) == .xor)
    }

    @Test func aDamagedChunkIsAnErrorNotACrash() throws {
        let chunk = ChunkCodec.encode(timestamps(50, seed: 9).map { Sample(timestamp: $0, value: 0.25) })
        // Every byte holds bits of the samples that follow, so every shorter prefix is incomplete.
        for length in 0..<chunk.count {
            #expect(throws: ChunkError.self) { try ChunkCodec.decode(Array(chunk.prefix(length))) }
        }
        #expect(throws: ChunkError.unknownEncoding(99)) { try ChunkCodec.decode([99, 1]) }
        var generator = SplitMix64(seed: 5)
        for _ in 0..<200 {
            let garbage = (0..<Int.random(in: 1...64, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? ChunkCodec.decode(garbage)
        }
    }
}
