import IOCCore

extension Array where Element == Sample {
    /// These samples (in time order) in `start...end`: decoded chunks taken from the cache.
    func window(from start: Int64, through end: Int64) -> ArraySlice<Sample> {
        guard let first, let last else { return self[...] }
        if first.timestamp >= start, last.timestamp <= end { return self[...] }
        return withUnsafeBufferPointer { samples in
            let low = first.timestamp >= start ? 0 : samples.firstIndex(atOrAfter: start)
            let high = last.timestamp <= end ? samples.count : samples.firstIndex(atOrAfter: end &+ 1, from: low)
            return self[low..<Swift.max(low, high)]
        }
    }
}

extension UnsafeBufferPointer where Element == Sample {
    /// The first position whose sample is at or after `time` (at or after `from`). Samples come at
    /// a nearly even interval: the position is guessed from the times at both ends, and the guess
    /// widened by doubling until it brackets the answer, so that a search reads two or three places
    /// in the chunk instead of the eight of a binary search, each likely a miss in the cache when a
    /// query reads a window of thousands of series' chunks.
    func firstIndex(atOrAfter time: Int64, from: Int = 0) -> Int {
        var low = from
        var high = count
        guard low < high else { return high }
        if self[low].timestamp >= time { return low }
        if self[high - 1].timestamp < time { return high }
        // Here self[low] < time <= self[high - 1].
        let span = Double(self[high - 1].timestamp) - Double(self[low].timestamp)
        let fraction = (Double(time) - Double(self[low].timestamp)) / span
        let guess = Swift.min(high - 1, Swift.max(low + 1, low + Int(fraction * Double(high - 1 - low))))
        if self[guess].timestamp >= time {
            // The answer is in low + 1 ... guess: step back by doubling.
            var step = 1
            var upper = guess
            while upper - step > low, self[upper - step].timestamp >= time {
                upper -= step
                step *= 2
            }
            high = upper
            low = Swift.max(low, upper - step)
        } else {
            var step = 1
            var lower = guess
            while lower + step < high - 1, self[lower + step].timestamp < time {
                lower += step
                step *= 2
            }
            low = lower
            high = Swift.min(high - 1, lower + step)
        }
        // self[low] < time <= self[high]: binary search between them.
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if self[middle].timestamp >= time { high = middle } else { low = middle }
        }
        return high
    }
}
