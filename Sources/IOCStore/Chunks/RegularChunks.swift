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
        var remaining = indices
        if values.encoding == .scaledInteger, interval > 0, count > 1, let base = reader.baseAddress {
            // The first value, then the unchecked loop while the longest change ends inside the data.
            let value = try values.read(&reader, first: true)
            if first >= start && first <= end { samples.append(Sample(timestamp: first, value: value)) }
            var integer = values.previousInteger
            let next = regularScaledIntegers(
                base, &reader.position, upTo: reader.limit - 80, count: count, first: first, interval: interval,
                integer: &integer, scale: powersOfTen[values.decimals], from: start, through: end, into: &samples)
            values.continueScaledIntegers(from: integer)
            remaining = next..<count
        }
        for index in remaining {
            let at = first &+ interval &* Int64(index)
            let read = try values.read(&reader, first: index == 0)
            if interval > 0 && at > end { break }
            if at >= start && at <= end { samples.append(Sample(timestamp: at, value: read)) }
        }
    }

    /// The values of an evenly spaced scaled-integer chunk from its second, without bounds checks,
    /// while the longest change (68 bits) ends inside the data: one word loaded per value, as the
    /// irregular chunks' loop does. Returns the index of the first value not read. A function of its
    /// own, small enough for the optimiser to keep everything in registers.
    @inline(never)
    static func regularScaledIntegers(
        _ base: UnsafeRawPointer, _ position: inout Int, upTo safeEnd: Int, count: Int, first: Int64, interval: Int64,
        integer: inout Int64, scale: Double, from start: Int64, through end: Int64, into samples: inout [Sample]
    ) -> Int {
        @inline(__always) func word(_ at: Int) -> UInt64 {
            UInt64(bigEndian: (base + (at >> 3)).loadUnaligned(as: UInt64.self)) << UInt64(at & 7)
        }
        var at = position
        var current = integer
        var index = 1
        defer {
            position = at
            integer = current
        }
        while index < count && at <= safeEnd {
            let bits = word(at)
            // A unary prefix of up to four ones, then the zigzag change in 0, 6, 13, 20 or 64 bits.
            // The first four without a branch on the prefix (7n - 1 bits after n ones, none after
            // a zero): a counter's changes vary in width from sample to sample, and a mispredicted
            // switch cost more than the decoding.
            let ones = min(4, (~bits).leadingZeroBitCount)
            if ones < 4 {
                // The prefix and change take 1, 8, 16 or 24 bits: the next position waits only on that.
                let taken = max(1, ones &<< 3)
                // Smart shifts: by 64 (no change bits) gives 0.
                current &+= unzigzag((bits << UInt64(ones &+ 1)) >> UInt64(64 &- (taken &- ones &- 1)))
                at &+= taken
            } else {
                current &+= unzigzag(word(at + 4) & ~0xFF | word(at + 60) >> 56)
                at += 68
            }
            let time = first &+ interval &* Int64(index)
            if time > end { return count }
            if time >= start { samples.append(Sample(timestamp: time, value: Double(current) / scale)) }
            index += 1
        }
        return index
    }
}
