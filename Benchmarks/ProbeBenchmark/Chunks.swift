import Foundation
import Glibc
import IOCAlert
import IOCCore
import IOCReport
import IOCDashboard
import IOCHTTP
import IOCProbe
import IOCQuery
import IOCSimulator
import IOCStore
import Synchronization

/// Bytes per sample of the chunk codec alone (no index, no SQLite pages) on probe-like data: 2-hour
/// chunks of samples every 15 s with a few ms of jitter, for the series an HTTP probe writes.
func chunks() {
    var random = SystemRandomNumberGenerator()
    let series = Int(option("series", "1000")) ?? 1000
    let perChunk = Int(option("samples", "480")) ?? 480
    var kinds: [String: (bytes: Int, samples: Int)] = [:]
    var encoded: [[UInt8]] = []
    var compact: [CompactSamples] = []
    var parts: [OpenChunk] = []
    for index in 0..<series {
        let times = (0..<perChunk).map {
            1_795_000_000_000 + Int64($0) * 15_000 + Int64.random(in: -4...4, using: &random)
        }
        let base = Double.random(in: 0.02...0.4, using: &random)
        let values: [(String, [Double])] = [
            // libcurl reports durations in whole microseconds.
            (
                "probe_duration_seconds",
                times.map { _ in (base * Double.random(in: 0.7...1.6, using: &random) * 1e6).rounded() / 1e6 }
            ),
            ("probe_http_status_code", times.map { _ in Int.random(in: 0..<1000, using: &random) == 0 ? 503 : 200 }),
            ("probe_success", times.map { _ in Int.random(in: 0..<1000, using: &random) == 0 ? 0 : 1 }),
            ("probe_http_content_length", times.map { _ in Double(1200 + index % 7) }),
        ]
        for (kind, series) in values {
            let chunk = ChunkCodec.encode(zip(times, series).map { Sample(timestamp: $0, value: $1) })
            kinds[kind, default: (0, 0)].bytes += chunk.count
            kinds[kind, default: (0, 0)].samples += perChunk
            encoded.append(chunk)
            var open = CompactSamples(base: times[0] - times[0] % 3_600_000)
            for (time, value) in zip(times, series) { open.append(Sample(timestamp: time, value: value)) }
            compact.append(open)
            var parted = OpenChunk(base: times[0] - times[0] % 3_600_000)
            for (time, value) in zip(times, series) { parted.append(Sample(timestamp: time, value: value)) }
            parts.append(parted)
        }
    }
    for (kind, total) in kinds.sorted(by: { $0.key < $1.key }) {
        print("\(kind): \(String(format: "%.3f", Double(total.bytes) / Double(total.samples))) bytes/sample")
    }
    let bytes = kinds.values.reduce(0) { $0 + $1.bytes }
    let samples = kinds.values.reduce(0) { $0 + $1.samples }
    print("all: \(String(format: "%.3f", Double(bytes) / Double(samples))) bytes/sample over \(samples) samples")
    // Decoding speed, the best of 5 passes over every chunk: closed chunks, the open chunks'
    // byte-aligned form, and the open hours as the daemon holds them (parts of 120 samples and a
    // byte-aligned tail).
    var decoded = 0
    func nanosecondsPerSample<Chunk>(
        _ chunks: [Chunk], samples: Int = samples, _ decode: (Chunk, inout [Sample]) -> Void
    ) -> String {
        var best = Double.infinity
        for _ in 0..<5 {
            var buffer: [Sample] = []
            best = min(
                best,
                milliseconds {
                    for chunk in chunks {
                        buffer.removeAll(keepingCapacity: true)
                        decode(chunk, &buffer)
                        decoded = buffer.count
                    }
                })
        }
        return String(format: "%.1f", best * 1e6 / Double(samples))
    }
    // Encoding, as the writer does for every part of 120 samples and every hour it closes, and of
    // the same values stamped at exact intervals, as the daemon stamps probes started on time.
    let originals = encoded.map { (try? ChunkCodec.decode($0)) ?? [] }
    let onTime = originals.map { chunk in
        chunk.enumerated().map {
            Sample(timestamp: 1_795_000_000_000 + Int64($0.offset) * 15_000, value: $0.element.value)
        }
    }
    for (label, chunks) in [("encode", originals), ("encode, evenly spaced", onTime)] {
        var best = Double.infinity
        for _ in 0..<5 {
            best = min(best, milliseconds { for chunk in chunks { decoded = ChunkCodec.encode(chunk).count } })
        }
        print(String(format: "%@: %.1f ns/sample", label, best * 1e6 / Double(samples)))
    }
    // Appending to the open hour as the writer does, encodings of its parts included.
    var appending = Double.infinity
    var appended: [OpenChunk] = []
    appended.reserveCapacity(originals.count)
    for _ in 0..<3 {
        appended.removeAll(keepingCapacity: true)
        appending = min(
            appending,
            milliseconds {
                for chunk in originals {
                    guard let first = chunk.first else { continue }
                    var open = OpenChunk(base: first.timestamp - first.timestamp % 3_600_000)
                    for sample in chunk { open.append(sample) }
                    appended.append(open)
                }
            })
    }
    print(String(format: "open chunk append: %.1f ns/sample", appending * 1e6 / Double(samples)))
    let closed = nanosecondsPerSample(encoded) { chunk, buffer in
        try? ChunkCodec.decode(padded: chunk + [0, 0, 0, 0, 0, 0, 0, 0], count: chunk.count, into: &buffer)
    }
    print("decode: \(closed) ns/sample (\(decoded) per chunk)")
    let open = nanosecondsPerSample(compact) { $0.decode(from: .min, through: .max, into: &$1) }
    print("open chunk decode: \(open) ns/sample")
    let held = nanosecondsPerSample(parts) { $0.decode(from: .min, through: .max, into: &$1) }
    print("open chunk in parts decode: \(held) ns/sample")
    // Counters scraped on time, as `ioc-bench peers` writes them: evenly spaced, whole increments
    // of varying size (the decoder's fast path).
    var counters: [[UInt8]] = []
    for _ in 0..<series {
        var value = Double(Int.random(in: 0..<10_000, using: &random))
        let pace = Int.random(in: 1...40, using: &random)
        counters.append(
            ChunkCodec.encode(
                (0..<perChunk).map { index in
                    value += Double(Int.random(in: 0..<(2 * pace), using: &random))
                    return Sample(timestamp: 1_795_000_000_000 + Int64(index) * 15_000, value: value)
                }) + [0, 0, 0, 0, 0, 0, 0, 0])
    }
    let counter = nanosecondsPerSample(counters, samples: series * perChunk) { chunk, buffer in
        try? ChunkCodec.decode(padded: chunk, count: chunk.count - 8, into: &buffer)
    }
    print("evenly spaced counters decode: \(counter) ns/sample")
}
