public import IOCCore

/// History added to a store all or nothing (`ioc import`), a batch at a time so that a file of
/// any size takes bounded memory: every batch is written inside one transaction, the hours the data
/// has passed close into chunks every few million samples, and nothing is visible to readers, or
/// kept, unless `commit()` is reached. Not for use while iocd writes the same store.
public final class StoreImport {
    private let connection: WriterConnection
    private var open = true
    /// What was written and refused so far.
    public private(set) var written = 0
    public private(set) var newSeries = 0
    /// Samples at or before their series' latest in the store (it has them already), and beyond
    /// the store's series limit.
    public private(set) var refused = 0
    /// Samples written since hours were last closed, a new series counting as `seriesWeight`.
    private var unsealed = 0
    /// Hours are closed when this many samples are open: together, so that each hour's chunks go
    /// to their table in key order and fill its pages (a history grouped by series, closed batch
    /// by batch, made every hour's table grow in the middle: 6 % more pages). About 18 bytes a
    /// sample in memory, and a series' open hour a few hundred.
    static let samplesBetweenSeals = 4_000_000
    static let seriesWeight = 64

    @available(*, noasync, message: "opens and replays the store: run it on a thread of its own")
    public init(path: String, maxSeries: Int = .max) throws(StoreError) {
        connection = try WriterConnection(path: path, maxSeries: maxSeries)
        connection.keepsClosedChunks = false
        try connection.database.execute("BEGIN IMMEDIATE")
    }

    deinit { if open { try? connection.database.execute("ROLLBACK") } }

    /// Writes a batch (samples in any order; each series' in time order within it), and closes
    /// the hours the data has passed once `samplesBetweenSeals` are open.
    @available(*, noasync, message: "blocking SQLite calls")
    public func write(_ batch: [LabeledSample], metadata: [String: MetricMetadata] = [:]) throws(StoreError) {
        let outcome = try connection.write(batch, metadata: metadata, now: WallClock.nowMilliseconds())
        written += outcome.written
        newSeries += outcome.newSeries
        refused += outcome.duplicates + outcome.outOfOrder + outcome.overSeriesLimit
        unsealed += outcome.written + Self.seriesWeight * outcome.newSeries
        guard unsealed >= Self.samplesBetweenSeals else { return }
        unsealed = 0
        _ = try connection.seal()
    }

    /// Makes everything written visible and durable at once.
    @available(*, noasync, message: "blocking SQLite calls")
    public func commit() throws(StoreError) {
        connection.advance(to: WallClock.nowMilliseconds())
        _ = try connection.seal()
        // The hours still open are kept encoded, not as the raw log records of every batch.
        try connection.saveHeads()
        try connection.database.execute("COMMIT")
        open = false
        try StoreSchema.reclaimFreePages(connection.database)
    }

    /// Leaves the store as it was.
    public func rollback() {
        guard open else { return }
        try? connection.database.execute("ROLLBACK")
        open = false
    }
}
