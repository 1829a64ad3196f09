import IOCCore

/// The writer thread's connection: its prepared statements, its cache of series ids, and the open
/// chunks it keeps in memory.
///
/// A commit appends one record to the `log` table holding every sample it accepted (a few bytes
/// each), then adds the samples to the open chunks in memory. When an hour has passed (plus a grace
/// period for late samples), its chunks are encoded and closed into the day's partition in one
/// sweep, the open chunks that remain are saved to the `heads` table, and the log is emptied, all
/// in one transaction. On start the saved heads and the log are replayed.
final class WriterConnection {
    let database: Database
    let heads: HeadTable
    private let insertSeries: Statement
    private let insertSymbol: Statement
    /// The file's label symbols, to write series rows and find series by them.
    private var symbols = LabelSymbols()
    private let upsertMetadata: Statement
    private let insertLog: Statement
    let upsertWatermark: Statement
    let insertHead: Statement
    private var chunkInserts: [String: ClosedChunk] = [:]
    /// Partition tables known to exist, so that closing chunks does not run CREATE TABLE each time.
    private var ensuredPartitions: [Int64: String] = [:]
    /// Each series' latest timestamp: a sample at or before it is refused.
    var lastTimestamps = LatestTimestamps()
    /// The latest time the data has reached; hours that ended a grace period before it are closed.
    var highWater: Int64 = .min
    /// The earliest high-water mark at which an open chunk may close, so that commits look for work
    /// only when there may be some.
    var nextDue: Int64 = .max
    /// The metadata the file has, so that unchanged metadata is not written again.
    private var storedMetadata: [String: MetricMetadata] = [:]
    /// Every series' id by its labels' 128-bit fingerprint (read at open): a few dozen bytes per
    /// series instead of the labels.
    private var seriesIDs: [Fingerprint: Int64] = [:]

    /// When the writer last gave freed memory back to the kernel (see `SampleWriter`); first a
    /// minute after opening, for what starting (replaying the log, reading the configuration) freed.
    var memoryReturned = ContinuousClock.now - .seconds(540)

    /// How long after an hour ends its chunks stay open for samples that arrive late.
    static let grace: Int64 = 120_000
    /// How long after its hour ends a series' open chunk is closed even though it has not moved on.
    static let idle: Int64 = 6 * Partitions.blockMilliseconds
    /// How long after its hour began a closed chunk stays in memory for this process's readers: a
    /// quarter of an hour past the close, for rules' windows over it (not as much as the open hour).
    static let keptInMemory: Int64 = Partitions.blockMilliseconds + 15 * 60_000

    /// Forgets the closed chunks kept for readers once their time is up; true if it did.
    func forgetClosedChunks() -> Bool { heads.forgetSealed(beganBy: highWater - WriterConnection.keptInMemory) }
    /// Whether closed chunks stay in memory for readers of this process; an import has none, and
    /// keeping every chunk of a history it passes through would hold the whole history.
    var keepsClosedChunks = true
    /// How far ahead of the clock a sample may move the high-water mark (a feed with a wrong clock
    /// must not close the current hour early).
    static let aheadOfClock: Int64 = 600_000

    /// At most this many series in the file: samples of a series that would be new beyond it are
    /// refused (a feed that makes a new series at every scrape must not grow the store for ever).
    let maxSeries: Int
    /// Series in the file, counted at open and as they are made.
    private var seriesCount = 0

    init(path: String, heads: HeadTable = HeadTable(), maxSeries: Int = .max) throws(StoreError) {
        database = try Database(path: path, readOnly: false)
        self.heads = heads
        self.maxSeries = maxSeries
        try StoreSchema.prepareForWriting(database)
        insertSeries = try database.prepare("INSERT INTO series (labels) VALUES (?)")
        insertSymbol = try database.prepare(LabelSymbols.insert)
        upsertMetadata = try database.prepare(
            "INSERT INTO metadata (metric, type, help, unit) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (metric) DO UPDATE SET type = coalesce(excluded.type, type), "
                + "help = coalesce(excluded.help, help), unit = coalesce(excluded.unit, unit)")
        insertLog = try database.prepare("INSERT INTO log (min_ts, max_ts, data) VALUES (?, ?, ?)")
        upsertWatermark = try database.prepare("INSERT OR REPLACE INTO watermarks (series_id, last_ts) VALUES (?, ?)")
        insertHead = try database.prepare("INSERT INTO heads (series_id, block, count, data) VALUES (?, ?, ?, ?)")
        storedMetadata = try StoreSchema.readMetadata(database)
        try symbols.readNew(from: database)
        try readSeries()
        try replay()
    }

    /// The WAL is checkpointed and cut to nothing as the writer closes: the store is the file alone.
    deinit { try? database.execute("PRAGMA wal_checkpoint(TRUNCATE)") }

    /// Hands a connection from the opening thread to the writer thread exactly once.
    /// `@unchecked Sendable`: the connection is touched by no one between `init` and `take`.
    final class Handoff: @unchecked Sendable {
        private var connection: WriterConnection?
        init(_ connection: WriterConnection) { self.connection = connection }
        func take() -> WriterConnection? {
            defer { connection = nil }
            return connection
        }
    }

    /// What one commit did.
    struct WriteOutcome {
        var written = 0
        var newSeries = 0
        var duplicates = 0
        var outOfOrder = 0
        /// Samples refused because their series would pass `maxSeries`, and one of their series.
        var overSeriesLimit = 0
        var refusedSeries: Labels?
    }

    /// Writes a batch (and changed metadata) in one transaction. A sample at or before its series'
    /// latest is refused and counted, never reordered: answers never change behind a reader's back.
    /// Within one batch (about a second) a late sample takes its place: that is the window in which
    /// out-of-order samples are accepted; of two at the same time, the first to arrive wins.
    func write(_ batch: [LabeledSample], metadata: [String: MetricMetadata] = [:], now: Int64) throws(StoreError)
        -> WriteOutcome
    {
        let changed = metadata.filter { storedMetadata[$0.key] != $0.value }
        var outcome = WriteOutcome()
        var accepted: [(id: Int64, sample: Sample)] = []
        var newest: Int64?
        do {
            try database.transaction { () throws(StoreError) in
                for (metric, value) in changed {
                    upsertMetadata.bind(1, metric)
                    upsertMetadata.bind(2, value.type)
                    upsertMetadata.bind(3, value.help)
                    upsertMetadata.bind(4, value.unit)
                    try upsertMetadata.run()
                }
                var rows: [(id: Int64, sample: Sample, arrival: Int)] = []
                rows.reserveCapacity(batch.count)
                // Consecutive samples of one series (a history, a feed's families) are looked up once.
                var previous: (labels: Labels, id: Int64)?
                for (arrival, item) in batch.enumerated() {
                    if let previous, previous.labels == item.labels {
                        rows.append((previous.id, item.sample, arrival))
                        continue
                    }
                    guard let (id, isNew) = try seriesID(for: item.labels) else {
                        outcome.overSeriesLimit += 1
                        outcome.refusedSeries = outcome.refusedSeries ?? item.labels
                        continue
                    }
                    if isNew { outcome.newSeries += 1 }
                    rows.append((id, item.sample, arrival))
                    previous = (item.labels, id)
                }
                rows.sort { ($0.id, $0.sample.timestamp, $0.arrival) < ($1.id, $1.sample.timestamp, $1.arrival) }
                accepted.reserveCapacity(rows.count)
                var current: (id: Int64, last: Int64?) = (-1, nil)
                let latest = lastTimestamps
                for row in rows {
                    if row.id != current.id { current = (row.id, latest[row.id]) }
                    if let last = current.last, row.sample.timestamp <= last {
                        if row.sample.timestamp == last { outcome.duplicates += 1 } else { outcome.outOfOrder += 1 }
                        continue
                    }
                    current.last = row.sample.timestamp
                    accepted.append((row.id, row.sample))
                }
                guard let record = WriterConnection.logRecord(accepted) else { return }
                insertLog.bind(1, record.min)
                insertLog.bind(2, record.max)
                insertLog.bind(3, record.bytes)
                try insertLog.run()
                newest = record.max
            }
        } catch {
            // The transaction rolled back: forget what memory says about series and tables.
            forgetAfterRollback()
            throw error
        }
        if outcome.newSeries > 0 { heads.committedNewSeries() }
        for (metric, value) in changed {
            // What the file now holds: the new fields, and the old where the new are missing.
            let old = storedMetadata[metric]
            storedMetadata[metric] = MetricMetadata(
                type: value.type ?? old?.type, help: value.help ?? old?.help, unit: value.unit ?? old?.unit)
        }
        apply(accepted)
        outcome.written = accepted.count
        if let newest { advance(to: min(newest, now &+ WriterConnection.aheadOfClock)) }
        return outcome
    }

    func advance(to time: Int64) { highWater = max(highWater, time) }

    /// One log record for samples grouped by series: its bytes and time range; nil for none.
    private static func logRecord(_ samples: [(id: Int64, sample: Sample)]) -> (bytes: [UInt8], min: Int64, max: Int64)?
    {
        guard !samples.isEmpty else { return nil }
        var low = Int64.max
        var high = Int64.min
        for item in samples {
            low = min(low, item.sample.timestamp)
            high = max(high, item.sample.timestamp)
        }
        var sections: [(id: Int64, samples: CompactSamples)] = []
        for item in samples { LogRecord.add(item.sample, of: item.id, to: &sections) }
        return (LogRecord.encode(sections), low, high)
    }

    /// Adds committed samples (in time order within each series) to the open chunks.
    func apply(_ samples: [(id: Int64, sample: Sample)]) {
        guard !samples.isEmpty else { return }
        // Locals, not properties, in the loop: a class's properties touched in a closure cost a
        // dynamic exclusivity check each time.
        var due = nextDue
        var latest = lastTimestamps
        lastTimestamps = LatestTimestamps()
        heads.state.withLock { state in
            for item in samples {
                let (started, left) = state.append(item.sample, of: item.id)
                if let started { due = min(due, WriterConnection.dueTime(of: started, movedOn: false)) }
                if let left {
                    due = min(due, WriterConnection.dueTime(of: left, movedOnAt: item.sample.timestamp))
                }
                latest[item.id] = item.sample.timestamp
            }
        }
        lastTimestamps = latest
        nextDue = due
    }

    /// When an open hour closes: once the series has moved on to a later hour and the grace period
    /// has passed, or after a long silence (or lag); a feed whose samples come hours late keeps its
    /// hour open rather than making a chunk per sample.
    static func dueTime(of block: Int64, movedOn: Bool) -> Int64 {
        block + Partitions.blockMilliseconds + (movedOn ? grace : idle)
    }

    /// When the open hour of a series that moved on at `time` closes: with the others at the end
    /// of the grace period, or, for a series that moves on later (a rule evaluated every 5
    /// minutes, a feed that was late), at the next quarter-hour slot after it. Every close rewrites
    /// the saved heads and empties the log, and every reader in another process then reads all of
    /// them again: hours close a few times an hour in batches, not once for every late series.
    static func dueTime(of block: Int64, movedOnAt time: Int64) -> Int64 {
        let due = dueTime(of: block, movedOn: true)
        guard time >= due else { return due }
        let (late, overflow) = due.addingReportingOverflow(((time - due) / lateSlot + 1) * lateSlot)
        return overflow ? .max : late
    }

    static let lateSlot: Int64 = 900_000

    /// Closes what is due and drops partitions beyond the retention. Returns the number of chunks
    /// closed and of partitions dropped.
    func maintain(now: Int64, retention: SampleWriter.Retention) throws(StoreError) -> (Int, Int) {
        advance(to: now)
        let closed = try seal()
        do {
            let dropped = try database.transaction { () throws(StoreError) -> Int in
                var dropped = 0
                let today = Partitions.day(of: now) * Partitions.dayMilliseconds
                var remaining = try Partitions.overlapping(from: .min, through: .max, in: database)
                if let maxAge = retention.maxAge {
                    let cutoff = now - maxAge.inMilliseconds
                    // The alert history and what notification groups last sent age out with the samples.
                    if try StoreSchema.hasLaterTables(database) {
                        let history = try database.prepare("DELETE FROM alert_history WHERE time < ?")
                        history.bind(1, cutoff)
                        try history.run()
                        let log = try database.prepare("DELETE FROM notification_log WHERE sent_at < ?")
                        log.bind(1, cutoff)
                        try log.run()
                    }
                    for partition in remaining
                    where partition.start != today
                        && partition.start + Partitions.dayMilliseconds - 1 < cutoff
                    {
                        try drop(partition.name)
                        dropped += 1
                    }
                    remaining.removeAll { $0.start != today && $0.start + Partitions.dayMilliseconds - 1 < cutoff }
                }
                if let maxBytes = retention.maxBytes {
                    while remaining.count > 1, remaining[0].start != today, try usedBytes() > maxBytes {
                        try drop(remaining.removeFirst().name)
                        dropped += 1
                    }
                }
                return dropped
            }
            if dropped > 0 { try StoreSchema.reclaimFreePages(database) }
            return (closed, dropped)
        } catch {
            forgetAfterRollback()
            throw error
        }
    }

    private func drop(_ partition: String) throws(StoreError) {
        try database.execute("DROP TABLE IF EXISTS \(partition); DELETE FROM partitions WHERE name = '\(partition)'")
        chunkInserts[partition] = nil
        ensuredPartitions = ensuredPartitions.filter { $0.value != partition }
    }

    /// Pages in use (the file size less its free pages): what dropping a partition makes room in.
    private func usedBytes() throws(StoreError) -> Int64 {
        let pages = try database.scalarInt("PRAGMA page_count") - database.scalarInt("PRAGMA freelist_count")
        return pages * (try database.scalarInt("PRAGMA page_size"))
    }

    func chunkInsert(day: Int64) throws(StoreError) -> ClosedChunk {
        let table: String
        if let known = ensuredPartitions[day] {
            table = known
        } else {
            table = try Partitions.ensure(day: day, in: database)
            ensuredPartitions[day] = table
        }
        if let statement = chunkInserts[table] { return statement }
        let statement = try ClosedChunk(table, in: database)
        chunkInserts[table] = statement
        return statement
    }

    /// What replay set aside at open: one line each for the log.
    var quarantined: [String] = []

    func forgetAfterRollback() {
        // Series and symbols added by the transaction went with it.
        symbols = LabelSymbols()
        try? symbols.readNew(from: database)
        try? readSeries()
        chunkInserts.removeAll()
        ensuredPartitions.removeAll()
        storedMetadata = (try? StoreSchema.readMetadata(database)) ?? [:]
    }

    /// Every series of the file by its labels' fingerprint, as the writer finds series: the file
    /// keeps no index of them (an index of 64-bit keys cost a sixth of a 3-hour store).
    private func readSeries() throws(StoreError) {
        seriesIDs.removeAll()
        seriesCount = 0
        let statement = try database.prepare("SELECT id, labels FROM series")
        while try statement.step() {
            seriesCount += 1
            guard let labels = statement.withBlob(1, symbols.decode) else {
                throw StoreError(path: database.path, "series \(statement.int64(0)) has damaged labels")
            }
            seriesIDs[labels.fingerprint] = statement.int64(0)
        }
    }

    /// The series' id, and whether it was made now; nil when it would be new beyond `maxSeries`.
    private func seriesID(for labels: Labels) throws(StoreError) -> (Int64, Bool)? {
        let fingerprint = labels.fingerprint
        if let id = seriesIDs[fingerprint] { return (id, false) }
        guard seriesCount < maxSeries else { return nil }
        insertSeries.bind(1, try symbols.encode(labels, adding: insertSymbol))
        try insertSeries.run()
        let id = database.lastInsertRowID
        seriesIDs[fingerprint] = id
        seriesCount += 1
        return (id, true)
    }
}

/// Each series' latest timestamp, by id (ids are dense from 1).
struct LatestTimestamps {
    private var values: [Int64] = []
    private static let none = Int64.min

    subscript(id: Int64) -> Int64? {
        get {
            guard id >= 0, id < values.count, values[Int(id)] != LatestTimestamps.none else { return nil }
            return values[Int(id)]
        }
        set {
            if id >= values.count {
                values.append(
                    contentsOf: repeatElement(
                        LatestTimestamps.none, count: max(Int(id) + 1, values.count * 2) - values.count))
            }
            values[Int(id)] = newValue ?? LatestTimestamps.none
        }
    }

    var newest: Int64 { values.max() ?? .min }
}
