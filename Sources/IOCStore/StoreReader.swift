import Glibc
public import IOCCore

/// A read-only view of a store file, for the query engine, the CLI and the dashboard (in this or any
/// other process). It sees what the writer has committed, at most about a second behind.
/// Not thread-safe: use one reader per thread.
public final class StoreReader: SeriesSource {
    public let path: String
    let database: Database
    private let newSeries: Statement
    /// The series read so far (they are never changed or deleted, so only new ones are read again),
    /// with a label index in memory and each one's rank in label order.
    private var index = SeriesIndex()
    /// The label symbols read so far, to decode series rows.
    private var symbols = LabelSymbols()
    private let labelsAsText: Bool
    private let newSymbols: Statement?
    /// Whether log numbers are never reused (version 8 on): otherwise the open hours are read anew
    /// every time.
    let logNumbersAreUnique: Bool
    let logInRange: Statement
    private var lookups: [String: Statement] = [:]
    /// The writer's open chunks, when the reader is in the writer's process.
    private let heads: HeadTable?
    /// Closed chunks already decoded: shared by this process's readers when the reader is in the
    /// writer's process; else this reader's own, from its second read on (a reader read once, as by
    /// `ioc query`, decodes only what it needs; one that reads again, as a dashboard, keeps them).
    /// Closed chunks never change (see `DecodedChunkCache`), so iocd's commits do not touch it.
    private var cache: DecodedChunkCache?
    private var readsOfSamples = 0
    /// The writer's count of commits that made series when this reader last read new series.
    private var seriesCommitsRead: Int?
    /// The buffers of the last read's copied chunks, kept for the next (see `CopiedChunks.Buffers`).
    private var chunkBuffers = CopiedChunks.Buffers()
    /// The samples a reader in another process keeps decoded (16 bytes each, 32 MB): two hours of
    /// 4,000 series at 15 s, what an hour's chart reads at the start of an hour.
    static let ownCacheCapacity = 2_000_000
    /// A reader in another process: the open hours (saved heads and log) as it last decoded them.
    /// Log records are never changed, and their numbers never reused (AUTOINCREMENT), so a later
    /// read decodes only the records added since; when the writer has emptied the log (an hour
    /// closed) everything is read again.
    var openHours = OpenHours()
    /// The alert history entries the last read returned, by number (see `alertHistory`).
    var decodedHistory: [Int64: AlertHistoryEntry] = [:]

    /// Opens an existing store; a missing file is an error, never created.
    public convenience init(path: String) throws(StoreError) {
        try self.init(path: path, heads: nil, cache: nil, mapping: 0)
    }

    /// The memory map of the file for the HTTP API's readers, 256 MB: SQLite then reads pages where
    /// the kernel keeps them rather than copying each into its own cache with `pread` (a range read
    /// of 735 series of 5,000 took a fifth more CPU so; BENCHMARKS.md, "Sparse selections"). The
    /// pages touched count in the process's resident set while mapped, as the OS's file cache,
    /// shared and given back under pressure; rules and notifications, which run all day, read
    /// without a map, so that the daemon's memory stays what its open hours need.
    public static let queryMapping = 256 << 20

    init(path: String, heads: HeadTable?, cache: DecodedChunkCache?, mapping: Int = 0) throws(StoreError) {
        self.path = path
        self.heads = heads
        self.cache = cache
        try StoreError.checkReadable(path)
        database = try Database(path: path, readOnly: true)
        try StoreSchema.checkForReading(database)
        if mapping > 0 { try database.execute("PRAGMA mmap_size = \(mapping)") }
        guard try database.scalarInt("PRAGMA user_version") >= 4 else {
            throw StoreError(
                path: path, "written by an older IOC; start iocd once (or `ioc import`) to bring it up to date")
        }
        // Before version 10 a series row held its labels as text (and nothing else reads symbols).
        labelsAsText = try database.scalarInt("PRAGMA user_version") < 10
        newSymbols = labelsAsText ? nil : try LabelSymbols.reading(database)
        newSeries = try database.prepare(
            "SELECT id, \(labelsAsText ? "pairs" : "labels") FROM series WHERE id > ? ORDER BY id")
        logNumbersAreUnique = try database.scalarInt("PRAGMA user_version") >= 8
        logInRange = try database.prepare("SELECT data FROM log WHERE max_ts >= ? AND min_ts <= ? ORDER BY seq")
    }

    /// Series whose labels satisfy every matcher, in label order. An equality matcher with a value
    /// narrows the search through the label index; the other matchers filter what it found.
    public func series(matching matchers: [LabelMatcher]) throws(StoreError) -> [(id: Int64, labels: Labels)] {
        try readNewSeries()
        if matchingSeries.generation != index.generation || matchingSeries.found.count >= 512 {
            matchingSeries = (index.generation, [:])
        }
        if let found = matchingSeries.found[matchers] { return found }
        let found = index.series(matching: matchers)
        matchingSeries.found[matchers] = found
        return found
    }

    /// The series each selection found, while no series has been added: rules and dashboards make
    /// the same selections at every evaluation and refresh.
    private var matchingSeries: (generation: Int, found: [[LabelMatcher]: [(id: Int64, labels: Labels)]]) = (0, [:])

    /// How many samples of closed chunks this reader keeps decoded, for tests.
    var decodedSamplesHeld: Int { cache?.held ?? 0 }

    /// The highest series id read so far.
    var newestSeries: Int64 { index.newest }

    func readNewSeries() throws(StoreError) {
        // In the writer's process, only when the writer has made series since the last look; a
        // query that finds nothing (`absent`) spent a sixth of its CPU here.
        let commits = heads?.seriesCommitCount
        if let commits, commits == seriesCommitsRead { return }
        // Symbols are written before the series that name them, and read here before those series.
        if let newSymbols { try symbols.readNew(newSymbols) }
        newSeries.bind(1, index.newest)
        defer { newSeries.reset() }
        var added: [(Int64, Labels)] = []
        while try newSeries.step() {
            let id = newSeries.int64(0)
            var decoded = newSeries.withBlob(1) { labelsAsText ? StoreSchema.decode($0) : symbols.decode($0) }
            if decoded == nil, let newSymbols {
                // A series committed after the symbols were read may name newer ones.
                try symbols.readNew(newSymbols)
                decoded = newSeries.withBlob(1, symbols.decode)
            }
            guard let labels = decoded else {
                throw StoreError(path: path, "series \(id) has damaged labels")
            }
            added.append((id, labels))
        }
        index.add(added)
        seriesCommitsRead = commits
    }

    /// A series' samples in `start...end`.
    public func samples(ofSeries id: Int64, from start: Int64, through end: Int64) throws(StoreError) -> [Sample] {
        try samples(of: [id], from: start, through: end)[0].samples
    }

    public func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
        let found = try series(matching: matchers)
        let samples = try samples(of: found.map(\.id), from: start, through: end)
        return zip(found, samples).map { Series(labels: $0.labels, samples: $1.samples, holdsStaleMarkers: $1.stale) }
    }

    /// The chunks (a series' hour) of the first batch of a limited selection: 240 samples each at a
    /// 15 s interval (38 MB in all), at most 3,600 (576 MB, series written every second), so that
    /// the first look at the limit comes early while the usual queries still load in one batch.
    static let chunksPerLimitCheck: Int64 = 10_000

    /// `select`, a batch of series at a time, stopping as soon as more than `limit` samples are
    /// loaded. Batches double while the next one is expected to fit in half of what the limit
    /// leaves, so that a large selection within its limit costs a few batches, not one per series.
    public func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int) throws
        -> [Series]
    {
        try select(try series(matching: matchers), from: start, through: end, limit: limit)
    }

    /// `select` with a limit, loading samples only for the series whose labels `keep` accepts.
    public func select(
        _ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int, keeping keep: (Labels) -> Bool
    ) throws -> [Series] {
        try select(try series(matching: matchers).filter { keep($0.labels) }, from: start, through: end, limit: limit)
    }

    private func select(_ found: [(id: Int64, labels: Labels)], from start: Int64, through end: Int64, limit: Int)
        throws -> [Series]
    {
        let bounds = SampleAdmission.storableTimestamps
        let low = Swift.max(start, bounds.lowerBound)
        let high = Swift.min(end, bounds.upperBound)
        let hours = high >= low ? (high - low) / Partitions.blockMilliseconds + 1 : 1
        var perBatch = Int(Swift.max(1, StoreReader.chunksPerLimitCheck / hours))
        var result: [Series] = []
        result.reserveCapacity(found.count)
        var loaded = 0
        var first = 0
        while first < found.count {
            let batch = found[first..<Swift.min(found.count, first + perBatch)]
            var batchLoaded = 0
            for (item, points) in zip(batch, try samples(of: batch.map(\.id), from: start, through: end)) {
                batchLoaded += points.samples.count
                result.append(Series(labels: item.labels, samples: points.samples, holdsStaleMarkers: points.stale))
            }
            loaded += batchLoaded
            guard loaded <= limit else { throw SampleLimitExceeded(loaded: loaded) }
            first += batch.count
            if batchLoaded * 4 <= limit - loaded { perBatch *= 2 }
        }
        return result
    }

    /// Each series' samples in `start...end`: the closed chunks of the hours before what memory holds,
    /// then the open chunks, from the writer's memory or else from the saved heads and the log.
    /// Memory is read first and the file in one read transaction after it, so a chunk closed in
    /// between is found in one place or both (and then taken once), never in neither. With each,
    /// whether it holds a staleness marker, looked for while its samples are in the processor's
    /// cache (nil where the open hours came from the log).
    private func samples(of ids: [Int64], from start: Int64, through end: Int64) throws(StoreError) -> [(
        samples: [Sample], stale: Bool?
    )] {
        guard !ids.isEmpty else { return [] }
        readsOfSamples += 1
        if heads == nil, cache == nil, readsOfSamples > 1 {
            cache = DecodedChunkCache(capacity: StoreReader.ownCacheCapacity)
        }
        var memory = heads?.samples(of: ids, from: start, through: end, cache: cache) ?? []
        defer { if ids.count >= DeferredRelease.worthwhile { DeferredRelease.later(&memory, leaving: []) } }
        // Each series' chunks up to the hour where memory takes over.
        var limits: [Int64] = []
        limits.reserveCapacity(ids.count)
        for position in ids.indices {
            let open = position < memory.count ? memory[position] : nil
            let since = open?.since ?? .max
            limits.append(since <= start ? .min : min(end, since - 1))
        }
        // What memory holds of each series goes after its chunks' samples, added while the series is
        // decoded (on every core, into the room made for it), not in a pass of its own afterwards.
        // Memory's arrays are handed on as they are: each array of 5,000 series' arrays made from
        // another retains and releases every one of them, on as many cold cache lines.
        if heads != nil, limits.allSatisfy({ $0 < start }) {
            // Memory holds the whole range of every series (a rule's or a panel's last minutes):
            // no transaction and no statement for the partitions. A cycle of 1,000 alert rules,
            // each such a read, took a third less time (98-103 ms against 61-69, in turns).
            return ids.indices.map { position in
                let samples = position < memory.count ? memory[position]?.joined ?? [] : []
                return (samples, samples.holdsStaleMarker)
            }
        }
        try database.execute("BEGIN")
        defer { try? database.execute("COMMIT") }
        let partitions = try Partitions.overlapping(from: start, through: end, in: database)
        let result = try chunkSamples(
            of: ids, through: limits, from: start, through: end, in: partitions, then: memory)
        guard heads != nil else {
            var samples = result.map(\.samples)
            try addOpenChunks(of: ids, from: start, through: end, to: &samples)
            return samples.map { ($0, nil) }
        }
        return result.map { ($0.samples, $0.stale) }
    }

    /// The samples in `start...end` of each series' closed chunks whose hours start by its limit,
    /// followed by those of `open` (memory's, per series) after the chunks' last.
    /// Series created together have neighbouring ids, so their chunks of an hour are neighbouring
    /// rows: when the ids asked for are dense, each hour is one range scan rather than a lookup per
    /// series.
    private func chunkSamples(
        of ids: [Int64], through limits: [Int64], from start: Int64, through end: Int64,
        in partitions: [(name: String, start: Int64)], then open: HeadTable.MemorySamples
    ) throws(StoreError) -> [CopiedChunks.Decoded] {
        var positions: [Int64: Int] = [:]
        for (position, id) in ids.enumerated() where limits[position] >= start { positions[id] = position }
        guard let low = positions.keys.min(), let high = positions.keys.max() else {
            // Nothing from the file: each series is what memory holds.
            return ids.indices.map { position in
                let samples = position < open.count ? open[position]?.joined ?? [] : []
                return (samples, samples.holdsStaleMarker, nil)
            }
        }
        // The chunks are copied out of SQLite first, each with the padding the decoder needs, and
        // decoded afterwards (or taken from the cache), series by series on every core.
        var chunks = CopiedChunks(series: ids.count, cache: cache, reusing: chunkBuffers)
        chunkBuffers = CopiedChunks.Buffers()
        defer { chunkBuffers = chunks.buffersToKeep }
        // Dense ids: each hour is one range scan. Sparse ones: a point lookup a series, hour by
        // hour in the order of the keys, so that each lookup walks the B-tree pages the one before
        // it did; in a dictionary's order SQLite took a third more CPU in a range read of 1,020
        // series of 5,000 (BENCHMARKS.md, "Sparse selections"). A partition dropped by
        // retention since the catalog was read is simply not there.
        let dense = positions.count >= 8 && high - low < 4 * Int64(positions.count)
        let wanted = dense ? [] : positions.sorted { $0.key < $1.key }
        for partition in partitions {
            guard let hours = Partitions.hours(of: partition.start, from: start, through: end),
                let statement = try? (dense ? scan(partition.name) : lookup(in: partition.name))
            else { continue }
            for hour in hours {
                let block = partition.start + hour * Partitions.blockMilliseconds
                if dense {
                    statement.bind(1, hour << 48 | low)
                    statement.bind(2, hour << 48 | high)
                    defer { statement.reset() }
                    while try statement.step() {
                        guard let position = positions[statement.int64(0) & (1 << 48 - 1)], block <= limits[position]
                        else { continue }
                        chunks.add(
                            statement, column: 1, of: position, partition: partition.start, row: statement.int64(0))
                    }
                    continue
                }
                for (id, position) in wanted where block <= limits[position] {
                    statement.bind(1, hour << 48 | id)
                    defer { statement.reset() }
                    while try statement.step() {
                        chunks.add(
                            statement, column: 1, of: position, partition: partition.start, row: statement.int64(0))
                    }
                }
            }
        }
        let decoded = chunks.decode(from: start, through: end, then: open)
        if let position = decoded.firstIndex(where: { $0.damage != nil }), let error = decoded[position].damage {
            throw StoreError(path: path, "a chunk of series \(ids[position]) is damaged: \(error)")
        }
        return decoded
    }

    private func scan(_ partition: String) throws(StoreError) -> Statement {
        let key = "scan " + partition
        if let statement = lookups[key] { return statement }
        let statement = try database.prepare("SELECT key, data FROM \(partition) WHERE key BETWEEN ? AND ?")
        lookups[key] = statement
        return statement
    }

    /// A series' buckets of `resolution` ms (one of `Rollup.resolutions`) that start in
    /// `start...end`, computed from the samples (chunks decode at about a nanosecond a sample; a
    /// summary stored with each chunk cost a tenth of the file).
    public func rollups(ofSeries id: Int64, resolution: Int64, from start: Int64, through end: Int64) throws(StoreError)
        -> [Rollup]
    {
        guard Rollup.resolutions.contains(resolution) else {
            throw StoreError(path: path, "no rollups at \(resolution) ms; they are kept at \(Rollup.resolutions) ms")
        }
        // The samples of the buckets that start in the range run to the end of the last bucket.
        let (bucketsEnd, overflow) = end.addingReportingOverflow(resolution - 1)
        let through = overflow ? Int64.max : bucketsEnd
        guard start <= end, start <= Int64.max - resolution else { return [] }
        // From the first bucket that starts in the range.
        let from =
            start <= Int64.min + resolution
            ? Int64.min : Rollup.bucket(of: start + resolution - 1, resolution: resolution)
        return Rollup.summarise(try samples(ofSeries: id, from: from, through: through), resolution: resolution)
            .filter { $0.start >= start && $0.start <= end }
    }

    /// The prepared point lookup of a chunk in a partition.
    private func lookup(in partition: String) throws(StoreError) -> Statement {
        let key = "data " + partition
        if let statement = lookups[key] { return statement }
        let statement = try database.prepare("SELECT key, data FROM \(partition) WHERE key = ?")
        lookups[key] = statement
        return statement
    }

    /// Every label name in the store (`__name__` included), sorted: from the label index, no scan.
    public func labelNames() throws(StoreError) -> [String] {
        try readNewSeries()
        return index.names
    }

    /// Every value label `name` takes, sorted.
    public func labelValues(_ name: String) throws(StoreError) -> [String] {
        try readNewSeries()
        return index.values(of: name)
    }

    /// The HELP, TYPE and UNIT that feeds gave for each metric family.
    public func metadata() throws(StoreError) -> [String: MetricMetadata] {
        try StoreSchema.readMetadata(database)
    }

}
