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
    private let upsertWatermark: Statement
    private let insertHead: Statement
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
    private static func dueTime(of block: Int64, movedOn: Bool) -> Int64 {
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

    /// Closes the open hours that are due (see `dueTime`) by the high-water mark: their chunks go to
    /// the partitions, the other open chunks to `heads`, and the log is emptied, in one transaction.
    /// Returns the number of chunks closed.
    func seal() throws(StoreError) -> Int {
        guard highWater >= nextDue else { return 0 }
        // The closing heads as they are held (compact), each decoded only as it is written: all of
        // them decoded at once took 16 bytes a sample, 600 MB at the close of 90,000 series' hour.
        var closing: [(block: Int64, id: Int64, samples: OpenChunk)] = []
        var remaining: [(id: Int64, block: Int64, samples: OpenChunk)] = []
        var due = Int64.max
        let keepsClosedChunks = keepsClosedChunks
        let highWater = highWater
        heads.state.withLock { state in
            // Closed hours readers no longer need go first, before this close adds its own.
            state.removeSealed { !keepsClosedChunks || $0.block + WriterConnection.keptInMemory <= highWater }
            for (id, list) in state.all {
                for (index, head) in list.enumerated() where !head.sealed {
                    let time = WriterConnection.dueTime(of: head.block, movedOn: index < list.count - 1)
                    if time <= highWater {
                        closing.append((head.block, id, head.samples))
                    } else {
                        remaining.append((id, head.block, head.samples))
                        due = min(due, time)
                    }
                }
            }
        }
        nextDue = due
        guard !closing.isEmpty else { return 0 }
        closing.sort { ($0.block, $0.id) < ($1.block, $1.id) }
        // A series with a head still open finds its latest timestamp there when the store opens; a
        // watermark is written for the others only, not for every series every hour.
        let open = Set(remaining.lazy.map(\.id))
        do {
            try database.transaction { () throws(StoreError) in
                for index in closing.indices {
                    let chunk = closing[index]
                    let samples = chunk.samples.samples()
                    // This copy of the head is let go as it is written, not at the end.
                    closing[index].samples = OpenChunk(base: chunk.block)
                    guard let first = samples.first, let last = samples.last else { continue }
                    if let written = try chunkInsert(day: Partitions.day(of: chunk.block))
                        .write(samples, series: chunk.id, block: chunk.block)
                    {
                        // The same samples at the closed chunk's density, for readers until they
                        // expire; right whether or not the transaction commits.
                        let closed = OpenChunk(
                            closed: written, base: chunk.block, first: first.timestamp, last: last.timestamp,
                            count: samples.count)
                        heads.state.withLock { $0.replace(chunk.id, block: chunk.block, with: closed) }
                    }
                    guard !open.contains(chunk.id) else { continue }
                    upsertWatermark.bind(1, chunk.id)
                    upsertWatermark.bind(2, last.timestamp)
                    try upsertWatermark.run()
                }
                try replaceLog(with: remaining)
            }
        } catch {
            forgetAfterRollback()
            // Nothing closed: look again after the next commit.
            nextDue = .min
            throw error
        }
        // The emptied log's pages go back to the file system rather than staying free in the file.
        try StoreSchema.reclaimFreePages(database)
        let sealed = Set(closing.lazy.map { SealedKey(id: $0.id, block: $0.block) })
        heads.state.withLock { state in
            for (id, list) in Array(state.all) {
                var kept = list
                for index in kept.indices where sealed.contains(SealedKey(id: id, block: kept[index].block)) {
                    kept[index].sealed = true
                }
                kept.removeAll {
                    $0.sealed && (!keepsClosedChunks || $0.block + WriterConnection.keptInMemory <= highWater)
                }
                state[id] = kept
            }
        }
        return closing.count
    }

    /// Saves every open chunk to `heads` (encoded, a few bytes a sample) and empties the log of
    /// raw records: what an import leaves of its last hours, instead of a log record per batch.
    func saveHeads() throws(StoreError) {
        var open: [(id: Int64, block: Int64, samples: OpenChunk)] = []
        heads.state.withLock { state in
            for (id, list) in state.all {
                for head in list where !head.sealed { open.append((id, head.block, head.samples)) }
            }
        }
        try database.transaction { () throws(StoreError) in try replaceLog(with: open) }
    }

    /// Saves the open chunks to `heads`, encoded, in place of the saved ones and of the log's raw
    /// records, which they hold; inside the caller's transaction.
    private func replaceLog(with open: [(id: Int64, block: Int64, samples: OpenChunk)]) throws(StoreError) {
        try database.execute("DELETE FROM heads")
        for head in open {
            insertHead.bind(1, head.id)
            insertHead.bind(2, head.block)
            insertHead.bind(3, Int64(head.samples.count))
            insertHead.bind(4, ChunkCodec.encode(head.samples.samples()))
            try insertHead.run()
        }
        try database.execute("DELETE FROM log")
        // The log's next number moves on even when no record was written since the last save, so
        // that a reader in another process that sees the log empty again, or starting at the
        // number where it stood, knows whether the saved heads are still the ones it decoded.
        try database.execute("UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'log'")
        if try database.scalarInt("SELECT changes()") == 0 {
            try database.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('log', 1)")
        }
    }

    private struct SealedKey: Hashable {
        var id: Int64
        var block: Int64
    }

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

    private func chunkInsert(day: Int64) throws(StoreError) -> ClosedChunk {
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

    private func forgetAfterRollback() {
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
