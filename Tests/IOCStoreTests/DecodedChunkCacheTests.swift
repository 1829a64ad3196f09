import IOCCore
@testable import IOCStore
import Testing

@Suite struct DecodedChunkCacheTests {
    func samples(_ count: Int, from start: Int64 = 0) -> [Sample] {
        (0..<count).map { Sample(timestamp: start + Int64($0) * 15_000, value: Double($0)) }
    }

    @Test func aRowIsTakenOnlyWhileItHasTheLengthItWasDecodedFrom() {
        let cache = DecodedChunkCache(capacity: 1_000)
        let key = DecodedChunkCache.Key(partition: 0, row: 1 << 48 | 7)
        cache.insert(key, length: 120, samples: samples(10))
        #expect(cache.samples(key, length: 120) == samples(10))
        #expect(cache.samples(key, length: 121) == nil)
        #expect(cache.samples(DecodedChunkCache.Key(partition: 86_400_000, row: 1 << 48 | 7), length: 120) == nil)
    }

    @Test func theLeastRecentlyUsedGoFirstAndTheBoundHolds() {
        let cache = DecodedChunkCache(capacity: 1_000)
        let keys = (0..<12).map { DecodedChunkCache.Key(partition: 0, row: Int64($0)) }
        for key in keys.prefix(10) { cache.insert(key, length: 1, samples: samples(100)) }
        // Keep the first in use; the next insertions push the oldest others out.
        #expect(cache.samples(keys[0], length: 1) != nil)
        cache.insert(keys[10], length: 1, samples: samples(100))
        #expect(cache.held <= 1_000)
        #expect(cache.samples(keys[0], length: 1) != nil)
        #expect(cache.samples(keys[1], length: 1) == nil)
        #expect(cache.samples(keys[10], length: 1) != nil)
        // A chunk larger than a quarter of the cache is not kept at all.
        cache.insert(keys[11], length: 1, samples: samples(300))
        #expect(cache.samples(keys[11], length: 1) == nil)
    }
}
