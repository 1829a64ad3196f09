import IOCCore
@testable import IOCStore
import Testing

@Suite struct OpenChunkTests {
    /// An hour of probe-like samples every 5 s with jitter: durations, status codes, NaN, the stale
    /// marker, -0.0 and raw doubles among them, so that parts take every value encoding.
    func hour(seed: UInt64) -> [Sample] {
        var generator = SplitMix64(seed: seed)
        let base: Int64 = 1_795_000_000_000 - 1_795_000_000_000 % 3_600_000
        return (0..<720).map { index in
            let timestamp = base + Int64(index) * 5_000 + Int64.random(in: 0...40, using: &generator)
            let value: Double =
                switch index % 97 {
                case 13: .nan
                case 14: Sample.staleNaN
                case 15: -0.0
                case 16: Double(bitPattern: generator.next())
                default: index < 300 ? Double(Int.random(in: 20_000...90_000, using: &generator)) / 1e6 : 200
                }
            return Sample(timestamp: timestamp, value: value)
        }
    }

    @Test(arguments: [1, 119, 120, 121, 359, 720])
    func everyRangeComesBackBitForBit(count: Int) {
        let samples = Array(hour(seed: UInt64(count)).prefix(count))
        var chunk = OpenChunk(base: samples[0].timestamp - samples[0].timestamp % 3_600_000)
        for sample in samples { chunk.append(sample) }
        #expect(chunk.count == count)
        #expect(chunk.samples() == samples)
        var generator = SplitMix64(seed: 9)
        for _ in 0..<50 {
            let a =
                samples[Int.random(in: 0..<count, using: &generator)].timestamp
                + Int64.random(
                    in: -3...3, using: &generator)
            let b = samples[Int.random(in: 0..<count, using: &generator)].timestamp
            let (start, end) = (min(a, b), max(a, b))
            var decoded: [Sample] = []
            chunk.decode(from: start, through: end, into: &decoded)
            #expect(decoded == samples.filter { $0.timestamp >= start && $0.timestamp <= end })
        }
    }

    /// The tail is encoded every `tailSize` samples, into the last part until it holds `partSize`:
    /// never more than a quarter of a part byte-aligned, and the parts as whole as before.
    @Test func theTailStaysShortAndPartsFillUp() {
        let samples = hour(seed: 5)
        var chunk = OpenChunk(base: samples[0].timestamp - samples[0].timestamp % 3_600_000)
        for (index, sample) in samples.enumerated() {
            chunk.append(sample)
            let appended = index + 1
            #expect(chunk.count - chunk.partSamples == appended % OpenChunk.tailSize)
            let encoded = appended / OpenChunk.tailSize * OpenChunk.tailSize
            #expect(chunk.partCount == (encoded + OpenChunk.partSize - 1) / OpenChunk.partSize)
        }
        #expect(chunk.samples() == samples)
        let whole = stride(from: 0, to: samples.count, by: OpenChunk.partSize).map {
            ChunkCodec.encode(Array(samples[$0..<$0 + OpenChunk.partSize])).count
        }
        let records = whole.count * OpenChunk.partRecordBytes + OpenChunk.padding
        #expect(chunk.heldBytes - records <= whole.reduce(0, +) * 5 / 4)
        #expect(chunk.encodedSize == whole.reduce(0, +) + records)
    }

    /// The point of parts: an hour in memory at about the closed chunk's size, not the byte-aligned
    /// form's (two bytes a sample for a value that does not change), and appending after a closed
    /// chunk keeps working.
    @Test func anHourTakesAboutAClosedChunksBytes() {
        // A probe's duration (microseconds of noise, the series that takes the most room) and its
        // status code.
        var generator = SplitMix64(seed: 3)
        let times = hour(seed: 3).map(\.timestamp)
        let durations = times.map {
            Sample(timestamp: $0, value: Double(Int.random(in: 20_000...90_000, using: &generator)) / 1e6)
        }
        let codes = times.map { Sample(timestamp: $0, value: 200) }
        for samples in [durations, codes] {
            var open = OpenChunk(base: 0)
            var compact = CompactSamples(base: 0)
            for sample in samples {
                open.append(sample)
                compact.append(sample)
            }
            let closed = ChunkCodec.encode(samples).count
            #expect(open.encodedSize < closed * 5 / 4 + 300, "parts \(open.encodedSize), closed \(closed)")
            #expect(open.encodedSize < compact.bytes.count, "parts \(open.encodedSize), compact \(compact.bytes.count)")
        }
        let samples = durations
        let closed = ChunkCodec.encode(samples)
        var reopened = OpenChunk(
            closed: closed, base: 0, first: samples[0].timestamp, last: samples[719].timestamp, count: 720)
        let later = Sample(timestamp: samples[719].timestamp + 5_000, value: 1)
        reopened.append(later)
        #expect(reopened.samples() == samples + [later])
        // A window read from parts of a chunk whose base is far from its samples (more than 2^32 ms).
        var window: [Sample] = []
        reopened.decode(from: samples[100].timestamp, through: samples[200].timestamp, into: &window)
        #expect(window == Array(samples[100...200]))
    }
}
