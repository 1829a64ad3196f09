import IOCCore
@testable import IOCStore
import TestSupport
import Testing

/// A writer on a new file, with a clock the test moves on from the start of an hour.
struct WrittenStore {
    static let hour: Int64 = 3_600_000
    let directory: TemporaryDirectory
    let path: String
    let first = 500_000 * WrittenStore.hour
    let clock: ManualClock
    let writer: SampleWriter

    init() throws {
        directory = try TemporaryDirectory()
        path = directory.file("ioc.db")
        clock = ManualClock(first)
        writer = try SampleWriter(path: path, clock: clock.function)
    }
}

@Suite struct DecodedChunkCacheTests {
    func samples(_ count: Int, from start: Int64 = 0) -> [Sample] {
        (0..<count).map { Sample(timestamp: start + Int64($0) * 15_000, value: Double($0)) }
    }

    /// A cached chunk's window is found by guessing from the times and bracketing the guess: the
    /// same positions as a binary search, on even and uneven intervals, gaps, and edges.
    @Test func aWindowOfACachedChunkIsTheSearchedOne() {
        var random = SplitMix64(seed: 11)
        for round in 0..<400 {
            var time = Int64(random.next() % 1_000) - 500
            var chunk: [Sample] = []
            for _ in 0..<Int(random.next() % 300) {
                chunk.append(Sample(timestamp: time, value: 0))
                // Even 15 s mostly; some rounds jittered, some with long gaps.
                let jitter = round % 3 == 0 ? Int64(random.next() % 9_000) : 0
                let gap = round % 5 == 0 && random.next() % 40 == 0 ? Int64(random.next() % 3_600_000) : 0
                time += 15_000 - 4_000 + jitter + gap
            }
            let span = (chunk.last?.timestamp ?? 0) - (chunk.first?.timestamp ?? 0) + 60_000
            for _ in 0..<20 {
                let start = (chunk.first?.timestamp ?? 0) - 30_000 + Int64(random.next() % UInt64(span))
                let end = start + Int64(random.next() % UInt64(span)) - span / 4
                let low = chunk.partitioningIndex { $0.timestamp >= start }
                let high = Swift.max(low, chunk.partitioningIndex { $0.timestamp > end })
                #expect(chunk.window(from: start, through: end) == chunk[low..<high], "\(round) \(start)...\(end)")
            }
            #expect(chunk.window(from: .min, through: .max).count == chunk.count)
        }
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

    /// A cache large enough to be split by series keeps its bound, and keeps what is used over what
    /// is not, in every part.
    @Test func aSplitCacheKeepsItsBoundAndWhatIsUsed() {
        let cache = DecodedChunkCache(capacity: 80_000)
        let keys = (0..<400).map { DecodedChunkCache.Key(partition: 0, row: 1 << 48 | Int64($0)) }
        for key in keys.prefix(200) { cache.insert(key, length: 1, samples: samples(240)) }
        #expect(cache.held == 200 * 240)
        // The first 40 series (five in each part) stay in use while 200 more come in.
        for key in keys[200...] {
            for used in keys.prefix(40) { _ = cache.samples(used, length: 1) }
            cache.insert(key, length: 1, samples: samples(240))
        }
        #expect(cache.held <= 80_000)
        #expect(keys.prefix(40).allSatisfy { cache.samples($0, length: 1) != nil })
        #expect(keys[40..<200].contains { cache.samples($0, length: 1) == nil })
        #expect(keys.suffix(8).allSatisfy { cache.samples($0, length: 1) != nil })
    }

    /// Writes `series` series every `step` ms from `first` until `end`, and flushes.
    func write(
        _ writer: SampleWriter, _ clock: ManualClock, series: Int, from first: Int64, until end: Int64, step: Int64
    ) {
        var time = first
        while time < end {
            clock.set(time)
            let tick = Double((time / step) % 11)
            writer.append(
                (0..<series).map { index in
                    LabeledSample(
                        labels: Labels([("__name__", "up"), ("instance", "t\(index)")]),
                        sample: Sample(timestamp: time, value: tick + Double(index)))
                })
            time += step
        }
        writer.flush()
    }

    /// A read larger than half the cache puts its first series' chunks in, up to half; the same read
    /// again puts the rest in, and every answer is a fresh reader's.
    @Test func aLargeReadFillsTheCacheInTurns() throws {
        let store = try WrittenStore()
        let (path, first, clock, writer, hour) = (store.path, store.first, store.clock, store.writer, WrittenStore.hour)
        write(writer, clock, series: 20, from: first, until: first + 4 * hour, step: 15_000)
        writer.close()
        let cache = DecodedChunkCache(capacity: 16_000)
        let reader = try StoreReader(path: path, heads: nil, cache: cache)
        let matchers = [try LabelMatcher("__name__", .equal, "up")]
        let fresh = try StoreReader(path: path).select(matchers, from: first, through: first + 3 * hour - 1)
        #expect(fresh.count == 20 && fresh.allSatisfy { $0.samples.count == 720 })
        #expect(try reader.select(matchers, from: first, through: first + 3 * hour - 1) == fresh)
        #expect(cache.held > 0 && cache.held <= 8_000, "\(cache.held)")
        #expect(try reader.select(matchers, from: first, through: first + 3 * hour - 1) == fresh)
        #expect(cache.held == 20 * 720, "\(cache.held)")
        #expect(try reader.select(matchers, from: first, through: first + 3 * hour - 1) == fresh)
    }

    /// The daemon's open hours (parts of up to 120 samples in memory) are kept decoded for long reads
    /// that cover all their parts, not for a rule's last minutes; a part added since is not missed.
    @Test func openHoursAreKeptDecodedForWholeReadsOnly() throws {
        let store = try WrittenStore()
        let (first, clock, writer) = (store.first, store.clock, store.writer)
        defer { writer.close() }
        let reader = try writer.makeReader()
        let plain = try writer.makeReader(cachingDecodedChunks: false)
        let matchers = [try LabelMatcher("__name__", .equal, "up")]
        // Four minutes in, a rule's five minutes cover the hour's only part: still a short read.
        write(writer, clock, series: 20, from: first, until: first + 4 * 60_000, step: 5_000)
        let early = first + 4 * 60_000 - 5_000
        let short = try reader.select(matchers, from: early - 300_000, through: early)
        #expect(short == (try plain.select(matchers, from: early - 300_000, through: early)))
        #expect(short.allSatisfy { $0.samples.count == 48 })
        #expect(writer.decodedChunks.held == 0)
        write(writer, clock, series: 20, from: first + 4 * 60_000, until: first + 40 * 60_000, step: 5_000)
        let now = first + 40 * 60_000 - 5_000
        let recent = try reader.select(matchers, from: now - 300_000, through: now)
        #expect(recent == (try plain.select(matchers, from: now - 300_000, through: now)))
        #expect(recent.allSatisfy { $0.samples.count == 61 })
        #expect(writer.decodedChunks.held == 0)
        let whole = try reader.select(matchers, from: first - 300_000, through: now)
        #expect(whole == (try plain.select(matchers, from: first - 300_000, through: now)))
        #expect(whole.allSatisfy { $0.samples.count == 480 })
        // Every part's samples, not the byte-aligned tails after them.
        let inParts = writer.heads.state.withLock { $0.all.reduce(0) { $0 + $1.heads[0].samples.partSamples } }
        #expect(inParts == 20 * 480 && writer.decodedChunks.held == inParts, "\(writer.decodedChunks.held)")
        // Taken from the cache, and a middle window cut from it.
        let middle = (first + 600_000)...(first + 1_200_000)
        #expect(
            try reader.select(matchers, from: middle.lowerBound, through: middle.upperBound)
                == plain.select(matchers, from: middle.lowerBound, through: middle.upperBound))
        write(writer, clock, series: 20, from: now + 5_000, until: first + 55 * 60_000, step: 5_000)
        let later = first + 55 * 60_000 - 5_000
        let again = try reader.select(matchers, from: first, through: later)
        #expect(again == (try plain.select(matchers, from: first, through: later)))
        #expect(again.allSatisfy { $0.samples.count == 660 })
    }

    /// The store says which series hold a staleness marker, in a closed hour (read decoded or from
    /// the cache) or in the open one, so that the engine need not look through them again.
    @Test func seriesSayWhetherTheyHoldStalenessMarkers() throws {
        let store = try WrittenStore()
        let (first, clock, writer, hour) = (store.first, store.clock, store.writer, WrittenStore.hour)
        defer { writer.close() }
        var time = first
        while time < first + hour + 30 * 60_000 {
            clock.set(time)
            let markClosed = time == first + 10 * 60_000
            let markOpen = time == first + hour + 10 * 60_000
            writer.append(
                ["closed", "open", "none"].map { name in
                    let stale = (name == "closed" && markClosed) || (name == "open" && markOpen)
                    return LabeledSample(
                        labels: Labels([("__name__", "up"), ("instance", name)]),
                        sample: Sample(timestamp: time, value: stale ? Sample.staleNaN : 1))
                })
            time += 15_000
        }
        writer.flush()
        #expect(writer.statistics.chunks == 3, "the first hour is closed: its marker is read from a chunk")
        let reader = try writer.makeReader()
        let matchers = [try LabelMatcher("__name__", .equal, "up")]
        for round in 0..<2 {
            let found = try reader.select(matchers, from: first, through: time)
            let flags = Dictionary(
                uniqueKeysWithValues: found.map { ($0.labels["instance"] ?? "", $0.holdsStaleMarkers) })
            #expect(flags == ["closed": true, "open": true, "none": false], "round \(round)")
            for series in found {
                #expect(series.holdsStaleMarkers == series.samples.contains { $0.isStale }, "round \(round)")
            }
        }
        // Windows that leave the markers out say so.
        let late = try reader.select(matchers, from: first + hour + 20 * 60_000, through: time)
        #expect(late.allSatisfy { $0.holdsStaleMarkers == false })
    }

    /// A closed hour stays in memory for this process's readers a quarter of an hour past its
    /// close, then only the file has it, and reads still find every sample.
    @Test func closedHoursLeaveMemoryAQuarterOfAnHourAfterTheyClose() throws {
        let store = try WrittenStore()
        let (first, clock, writer, hour) = (store.first, store.clock, store.writer, WrittenStore.hour)
        defer { writer.close() }
        func sealedHours() -> [Int64] {
            writer.heads.state.withLock { state in state.all.flatMap { $0.heads.filter(\.sealed).map(\.block) } }
        }
        write(writer, clock, series: 3, from: first, until: first + hour + 5 * 60_000, step: 15_000)
        #expect(Set(sealedHours()) == [first], "closed at 1 h 2 min, kept for readers")
        write(
            writer, clock, series: 3, from: first + hour + 5 * 60_000, until: first + hour + 14 * 60_000, step: 15_000)
        #expect(Set(sealedHours()) == [first])
        // A long read over both hours while memory holds both (the closed hour's head, then the open
        // one's cached parts and its tail), asked twice (the second from the cache), is the file's.
        let matchers = [try LabelMatcher("__name__", .equal, "up")]
        let fromFile = try StoreReader(path: store.path).select(matchers, from: first, through: first + 2 * hour)
        #expect(fromFile.count == 3 && fromFile.allSatisfy { $0.samples.count == 4 * 60 + 4 * 14 })
        let bothInMemory = try writer.makeReader()
        #expect(try bothInMemory.select(matchers, from: first, through: first + 2 * hour) == fromFile)
        #expect(
            try bothInMemory.select(matchers, from: first + 30 * 60_000, through: first + 2 * hour)
                == fromFile.map {
                    Series(labels: $0.labels, samples: $0.samples.filter { $0.timestamp >= first + 30 * 60_000 })
                })
        // What iocd reports as ioc_store_memory_bytes{part="open_chunks"} follows: the closed hour
        // and 14 minutes, then 16 minutes alone.
        let withClosedHour = writer.memory.openChunks
        write(
            writer, clock, series: 3, from: first + hour + 14 * 60_000, until: first + hour + 16 * 60_000, step: 15_000)
        #expect(sealedHours().isEmpty, "forgotten at 1 h 15 min")
        let withoutIt = writer.memory.openChunks
        #expect(withoutIt > 0 && withoutIt < withClosedHour, "\(withoutIt) bytes, \(withClosedHour) before")
        let reader = try writer.makeReader()
        let all = try reader.select(
            [try LabelMatcher("__name__", .equal, "up")], from: first, through: first + 2 * hour)
        #expect(all.count == 3 && all.allSatisfy { $0.samples.count == 4 * 60 + 4 * 16 })
    }

    /// A series gets its ring of latest samples when a query first reads its open hour, not when it
    /// is made; what the rings give is what the file gives, as samples keep coming.
    @Test func ringsAreMadeForTheSeriesQueriesReadAndAgreeWithTheFile() throws {
        let store = try WrittenStore()
        let (path, first, clock, writer, hour) = (store.path, store.first, store.clock, store.writer, WrittenStore.hour)
        defer { writer.close() }
        write(writer, clock, series: 20, from: first, until: first + 20 * 60_000, step: 5_000)
        #expect(writer.heads.state.withLock { $0.rings } == 0)
        #expect(writer.memory.rings == 0)
        let reader = try writer.makeReader()
        let some = [try LabelMatcher("__name__", .equal, "up"), try LabelMatcher("instance", .matchesRegex, "t1.?")]
        // A long read (a chart of the last hours) makes none.
        _ = try reader.select(some, from: first - 2 * hour, through: first + 20 * 60_000)
        #expect(writer.heads.state.withLock { $0.rings } == 0)
        var now = first + 20 * 60_000 - 5_000
        _ = try reader.select(some, from: now - 120_000, through: now)
        #expect(writer.heads.state.withLock { $0.rings } == 11)
        #expect(writer.memory.rings >= 11 * 32 * MemoryLayout<Sample>.stride)
        for round in 0..<4 {
            write(
                writer, clock, series: 20, from: now + 5_000, until: now + 5_000 + Int64(round + 1) * 50_000,
                step: 5_000)
            now += Int64(round + 1) * 50_000
            for window: Int64 in [0, 60_000, 155_000, 600_000] {
                let all = [try LabelMatcher("__name__", .equal, "up")]
                let fromRings = try reader.select(all, from: now - window, through: now)
                let fromFile = try StoreReader(path: path).select(all, from: now - window, through: now)
                #expect(fromRings == fromFile, "round \(round), window \(window)")
                #expect(fromRings.allSatisfy { $0.samples.count == Int(window / 5_000) + 1 })
            }
        }
        #expect(writer.heads.state.withLock { $0.rings } == 20)
    }
}
