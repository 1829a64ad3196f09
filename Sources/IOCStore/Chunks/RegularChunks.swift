import IOCCore

/// Chunks whose timestamps are evenly spaced: the first and the interval stand for all of them, and
/// values of one width (or of one radix) are found by their index.
extension ChunkCodec {
    /// Set in the first byte when the chunk's timestamps are evenly spaced: they are then its first
    /// timestamp and the interval, and nothing per sample (probes and scrapes on time, imports).
    static let regularTimestamps: UInt8 = 0x80

    /// Whether every interval between the samples is the same (at least two samples).
    static func isRegular(_ samples: [Sample]) -> Bool {
        guard samples.count > 2 else { return samples.count == 2 }
        let interval = samples[1].timestamp &- samples[0].timestamp
        for index in 2..<samples.count where samples[index].timestamp &- samples[index - 1].timestamp != interval {
            return false
        }
        return true
    }

    /// The indices of evenly spaced samples (`first` plus a multiple of a positive `interval`) that
    /// fall in `start...end`.
    static func indices(count: Int, first: Int64, interval: Int64, from start: Int64, through end: Int64) -> Range<Int>
    {
        let step = UInt64(interval)
        // Distances as unsigned numbers: exact for any pair of Int64 where the first is the larger.
        var lower = 0
        if start > first {
            let distance = UInt64(bitPattern: start &- first)
            lower = Int(min(UInt64(count), distance / step + (distance % step == 0 ? 0 : 1)))
        }
        guard end >= first else { return lower..<lower }
        let upper = Int(min(UInt64(count), UInt64(bitPattern: end &- first) / step + 1))
        return lower..<max(lower, upper)
    }

    /// The samples of an evenly spaced chunk in `start...end`, from after its first timestamp.
    static func decodeRegular(
        _ reader: inout BitReader, count: Int, first: Int64, values: inout Values,
        frame: (minimum: Int64, width: Int), radix: MixedRadix?, from start: Int64, through end: Int64,
        into samples: inout [Sample]
    ) throws(ChunkError) {
        guard count > 1 else { throw ChunkError.truncated }
        let interval = unzigzag(try reader.readVarint())
        // Values of one width or radix are found by their index: only the range's are read.
        let indices =
            interval > 0 && values.encoding != .scaledInteger && values.encoding != .xor
            ? Self.indices(count: count, first: first, interval: interval, from: start, through: end) : 0..<count
        if let radix {
            let scale = powersOfTen[values.decimals]
            try radix.read(&reader, count: count, indices: indices) { index, digit in
                let at = first &+ interval &* Int64(index)
                if at >= start && at <= end {
                    samples.append(Sample(timestamp: at, value: Double(frame.minimum &+ Int64(digit)) / scale))
                }
            }
            return
        }
        reader.position += indices.lowerBound * frame.width
        for index in indices {
            let at = first &+ interval &* Int64(index)
            let read = try values.read(&reader, first: index == 0)
            if interval > 0 && at > end { break }
            if at >= start && at <= end { samples.append(Sample(timestamp: at, value: read)) }
        }
    }
}
