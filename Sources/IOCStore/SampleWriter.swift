import Foundation
public import IOCCore
import Synchronization

/// The store's one writer. Producers hand it samples through a bounded buffer and never wait on disk;
/// a dedicated thread commits the buffer in one transaction about once per `flushInterval`.
/// When the buffer is full (the disk is slow or failing) new samples are dropped and counted.
/// After `close()` returns, the file is closed.
public final class SampleWriter: Sendable {
    /// Counters an operator can watch (they become self-metrics).
    public struct Statistics: Sendable, Equatable {
        public var written = 0
        public var dropped = 0
        public var failedCommits = 0
        public var series = 0
        /// Samples refused because their series already had one at that time.
        public var duplicates = 0
        /// Samples refused because their series already had a later one.
        public var outOfOrder = 0
        /// Chunks closed into partitions.
        public var chunks = 0
        /// Partitions dropped by retention.
        public var partitionsDropped = 0
    }

    /// How long and how much history the store keeps; enforced by dropping whole daily partitions.
    public struct Retention: Sendable, Equatable {
        public var maxAge: Duration?
        public var maxBytes: Int64?

        public init(maxAge: Duration? = nil, maxBytes: Int64? = nil) {
            self.maxAge = maxAge
            self.maxBytes = maxBytes
        }
    }

    private struct Buffer {
        var samples: [LabeledSample] = []
        var metadata: [String: MetricMetadata] = [:]
        var statistics = Statistics()
        var closing = false
        var flushRequests: [DispatchSemaphore] = []
        var maintenanceRequests: [DispatchSemaphore] = []
        var lastError: StoreError?
    }

    public let path: String
    private let capacity: Int
    private let flushInterval: Duration
    private let buffer = Mutex(Buffer())
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let retention: Retention
    private let clock: @Sendable () -> Int64
    /// Told, on the writer thread, when commits start failing (with the error) and when they recover
    /// (nil): once per change, not once per commit, so a full disk makes one log line, not thousands.
    private let onHealthChange: @Sendable (StoreError?) -> Void

    /// Opens (creating if needed) the store at `path` for writing and starts the writer thread.
    public init(
        path: String, capacity: Int = 100_000, flushInterval: Duration = .seconds(1),
        retention: Retention = Retention(),
        clock: @escaping @Sendable () -> Int64 = WallClock.nowMilliseconds,
        onHealthChange: @escaping @Sendable (_ error: StoreError?) -> Void = { _ in }
    ) throws(StoreError) {
        self.path = path
        self.onHealthChange = onHealthChange
        self.capacity = capacity
        self.flushInterval = flushInterval
        self.retention = retention
        self.clock = clock
        // Opened here so that a bad file is reported to the caller; from now on only the thread uses it.
        let connection = WriterConnection.Handoff(try WriterConnection(path: path))
        let thread = Thread { [self] in self.run(connection) }
        thread.name = "ioc-store-writer"
        thread.start()
    }

    /// Queues samples for the next commit. Returns how many were accepted; the rest were dropped.
    @discardableResult
    public func append(_ samples: [LabeledSample]) -> Int {
        buffer.withLock { buffer in
            guard !buffer.closing else {
                buffer.statistics.dropped += samples.count
                return 0
            }
            let room = max(0, capacity - buffer.samples.count)
            let accepted = min(room, samples.count)
            buffer.samples.append(contentsOf: samples.prefix(accepted))
            buffer.statistics.dropped += samples.count - accepted
            return accepted
        }
    }

    public var statistics: Statistics { buffer.withLock { $0.statistics } }

    /// Queues the HELP, TYPE and UNIT of metric families for the next commit; only what differs from
    /// what the store has is written.
    public func record(metadata: [String: MetricMetadata]) {
        guard !metadata.isEmpty else { return }
        buffer.withLock { buffer in
            guard !buffer.closing else { return }
            buffer.metadata.merge(metadata) { $1 }
        }
    }

    /// The last commit's error, if the last commit failed.
    public var lastError: StoreError? { buffer.withLock { $0.lastError } }

    /// Commits everything queued so far and returns when it is on disk (or the commit failed).
    public func flush() {
        let done = DispatchSemaphore(value: 0)
        let running = buffer.withLock { buffer -> Bool in
            guard !buffer.closing else { return false }
            buffer.flushRequests.append(done)
            return true
        }
        guard running else { return }
        wake.signal()
        done.wait()
    }

    /// Commits what is queued and stops the writer thread. Later appends are dropped and counted.
    public func close() {
        let first = buffer.withLock { buffer -> Bool in
            defer { buffer.closing = true }
            return !buffer.closing
        }
        guard first else { return }
        wake.signal()
        stopped.wait()
    }

    private func run(_ handoff: WriterConnection.Handoff) {
        // The connection is released, closing the file and checkpointing the WAL, before `close()` returns.
        if let connection = handoff.take() { loop(connection) }
        stopped.signal()
    }

    private func loop(_ connection: WriterConnection) {
        var nextMaintenance: Int64 = 0
        while true {
            let now = clock()
            if now >= nextMaintenance {
                maintain(connection, now: now)
                nextMaintenance = now + 60_000
            }
            _ = wake.wait(timeout: .now() + .milliseconds(Int(flushInterval.inMilliseconds)))
            let (batch, metadata, requests, maintenance, closing) = buffer.withLock { buffer in
                defer {
                    buffer.samples.removeAll(keepingCapacity: true)
                    buffer.metadata.removeAll()
                    buffer.flushRequests.removeAll()
                    buffer.maintenanceRequests.removeAll()
                }
                return (
                    buffer.samples, buffer.metadata, buffer.flushRequests, buffer.maintenanceRequests, buffer.closing
                )
            }
            if !batch.isEmpty || !metadata.isEmpty { commit(batch, metadata: metadata, on: connection) }
            if !maintenance.isEmpty {
                maintain(connection, now: clock())
                maintenance.forEach { $0.signal() }
            }
            requests.forEach { $0.signal() }
            if closing { return }
        }
    }

    /// Closes chunks that stopped growing and applies retention; runs on start and every minute.
    private func maintain(_ connection: WriterConnection, now: Int64) {
        do {
            let (chunks, dropped) = try connection.maintain(now: now, retention: retention)
            buffer.withLock {
                $0.statistics.chunks += chunks
                $0.statistics.partitionsDropped += dropped
            }
        } catch {
            buffer.withLock {
                $0.statistics.failedCommits += 1
                $0.lastError = error
            }
        }
    }

    /// Drops partitions beyond the retention now rather than at the next minute (for tests and tools).
    public func applyRetentionNow() {
        let done = DispatchSemaphore(value: 0)
        buffer.withLock { $0.maintenanceRequests.append(done) }
        wake.signal()
        done.wait()
    }

    private func commit(_ batch: [LabeledSample], metadata: [String: MetricMetadata], on connection: WriterConnection) {
        do {
            let outcome = try connection.write(batch, metadata: metadata)
            buffer.withLock {
                $0.statistics.written += outcome.written
                $0.statistics.series += outcome.newSeries
                $0.statistics.duplicates += outcome.duplicates
                $0.statistics.outOfOrder += outcome.outOfOrder
                $0.statistics.chunks += outcome.chunks
            }
            let recovered = buffer.withLock { buffer -> Bool in
                defer { buffer.lastError = nil }
                return buffer.lastError != nil
            }
            if recovered { onHealthChange(nil) }
        } catch {
            let first = buffer.withLock { buffer -> Bool in
                defer { buffer.lastError = error }
                buffer.statistics.failedCommits += 1
                buffer.statistics.dropped += batch.count
                return buffer.lastError == nil
            }
            if first { onHealthChange(error) }
        }
    }
}

/// The writer thread's connection, its prepared statements and its cache of series ids.
final class WriterConnection {
    private let database: Database
    private let insertSample: Statement
    private let insertSeries: Statement
    private let insertPosting: Statement
    private let findSeries: Statement
    private let upsertMetadata: Statement
    private let deleteLogged: Statement
    private var chunkInserts: [String: Statement] = [:]
    private var rollupStatementCache: [String: (Statement, Statement)] = [:]
    /// Partition tables known to exist, so that closing a chunk does not run CREATE TABLE each time.
    private var ensuredPartitions: [Int64: String] = [:]
    /// Each series' open chunk, whose samples are in the `samples` log: how many, and the first's time.
    /// Only this is kept in memory (the samples are read back when the chunk closes), so memory does not
    /// grow with the chunk length.
    private struct Head {
        var count: Int
        var first: Int64
    }

    private var heads: [Int64: Head] = [:]
    private let loggedSamples: Statement
    private var lastTimestamps: [Int64: Int64] = [:]
    /// The metadata the file has, so that unchanged metadata is not written again.
    private var storedMetadata: [String: MetricMetadata] = [:]
    /// Series ids by the labels' 128-bit fingerprint: a few dozen bytes per series instead of the labels.
    private var seriesIDs: [Fingerprint: Int64] = [:]

    init(path: String) throws(StoreError) {
        database = try Database(path: path, readOnly: false)
        try StoreSchema.prepareForWriting(database)
        insertSample = try database.prepare("INSERT OR IGNORE INTO samples (series_id, ts, value) VALUES (?, ?, ?)")
        insertSeries = try database.prepare("INSERT INTO series (labels, metric, pairs) VALUES (?, ?, ?)")
        insertPosting = try database.prepare("INSERT OR IGNORE INTO postings (name, value, series_id) VALUES (?, ?, ?)")
        findSeries = try database.prepare("SELECT id FROM series WHERE labels = ?")
        upsertMetadata = try database.prepare(
            "INSERT INTO metadata (metric, type, help, unit) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (metric) DO UPDATE SET type = coalesce(excluded.type, type), "
                + "help = coalesce(excluded.help, help), unit = coalesce(excluded.unit, unit)")
        deleteLogged = try database.prepare("DELETE FROM samples WHERE series_id = ? AND ts <= ?")
        loggedSamples = try database.prepare("SELECT ts, value FROM samples WHERE series_id = ? ORDER BY ts")
        storedMetadata = try StoreSchema.readMetadata(database)
        try loadHeads()
    }

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
        var chunks = 0
    }

    /// Samples a chunk holds before it is closed (about 30 minutes at 15 s; 10 at 5 s).
    static let chunkSamples = 120
    /// An open chunk older than this is closed by maintenance even if it is not full.
    static let chunkMaxAge: Int64 = 2 * 3_600_000

    /// Writes a batch (and changed metadata) in one transaction. A sample at or before its series'
    /// latest is refused and counted, never reordered: answers never change behind a reader's back.
    func write(_ batch: [LabeledSample], metadata: [String: MetricMetadata] = [:]) throws(StoreError) -> WriteOutcome {
        let changed = metadata.filter { storedMetadata[$0.key] != $0.value }
        do {
            return try database.transaction { () throws(StoreError) -> WriteOutcome in
                for (metric, value) in changed {
                    upsertMetadata.bind(1, metric)
                    upsertMetadata.bind(2, value.type)
                    upsertMetadata.bind(3, value.help)
                    upsertMetadata.bind(4, value.unit)
                    try upsertMetadata.run()
                    // What the file now holds: the new fields, and the old where the new are missing.
                    let old = storedMetadata[metric]
                    storedMetadata[metric] = MetricMetadata(
                        type: value.type ?? old?.type, help: value.help ?? old?.help, unit: value.unit ?? old?.unit)
                }
                var outcome = WriteOutcome()
                var rows: [(id: Int64, sample: Sample, arrival: Int)] = []
                rows.reserveCapacity(batch.count)
                for (arrival, item) in batch.enumerated() {
                    let (id, isNew) = try seriesID(for: item.labels)
                    if isNew { outcome.newSeries += 1 }
                    rows.append((id, item.sample, arrival))
                }
                // In key order, each insert lands next to the previous one in the table's B-tree. Within
                // one batch (about a second) a late sample takes its place: that is the window in which
                // out-of-order samples are accepted; of two at the same time, the first to arrive wins.
                rows.sort { ($0.id, $0.sample.timestamp, $0.arrival) < ($1.id, $1.sample.timestamp, $1.arrival) }
                for row in rows {
                    if let last = try lastTimestamp(of: row.id), row.sample.timestamp <= last {
                        if row.sample.timestamp == last { outcome.duplicates += 1 } else { outcome.outOfOrder += 1 }
                        continue
                    }
                    // A chunk never spans two daily partitions.
                    if let first = heads[row.id]?.first,
                        Partitions.day(of: first) != Partitions.day(of: row.sample.timestamp)
                    {
                        try closeHead(of: row.id)
                        outcome.chunks += 1
                    }
                    insertSample.bind(1, row.id)
                    insertSample.bind(2, row.sample.timestamp)
                    insertSample.bind(3, bitsOf: row.sample.value)
                    try insertSample.run()
                    heads[row.id, default: Head(count: 0, first: row.sample.timestamp)].count += 1
                    lastTimestamps[row.id] = row.sample.timestamp
                    outcome.written += 1
                    if heads[row.id]?.count ?? 0 >= WriterConnection.chunkSamples {
                        try closeHead(of: row.id)
                        outcome.chunks += 1
                    }
                }
                return outcome
            }
        } catch {
            // The transaction rolled back: forget what memory says about series, heads and metadata.
            forgetAfterRollback()
            throw error
        }
    }

    /// Closes chunks that stopped growing, then drops partitions beyond the retention. Returns the
    /// number of chunks closed and of partitions dropped.
    func maintain(now: Int64, retention: SampleWriter.Retention) throws(StoreError) -> (Int, Int) {
        do {
            return try database.transaction { () throws(StoreError) -> (Int, Int) in
                var closed = 0
                for (id, head) in heads where head.first < now - WriterConnection.chunkMaxAge {
                    try closeHead(of: id)
                    closed += 1
                }
                var dropped = 0
                let all = try Partitions.overlapping(from: .min, through: .max, in: database)
                let today = Partitions.name(ofDay: Partitions.day(of: now))
                var remaining = all
                if let maxAge = retention.maxAge {
                    let cutoff = now - maxAge.inMilliseconds
                    for name in all where name != today {
                        let end = try database.scalarInt("SELECT end_ts FROM partitions WHERE name = '\(name)'")
                        if end < cutoff {
                            try drop(name)
                            remaining.removeAll { $0 == name }
                            dropped += 1
                        }
                    }
                }
                if let maxBytes = retention.maxBytes {
                    while remaining.count > 1, remaining[0] != today, try usedBytes() > maxBytes {
                        try drop(remaining.removeFirst())
                        dropped += 1
                    }
                }
                return (closed, dropped)
            }
        } catch {
            forgetAfterRollback()
            throw error
        }
    }

    private func drop(_ partition: String) throws(StoreError) {
        try database.execute(
            "DROP TABLE IF EXISTS \(partition); DROP TABLE IF EXISTS \(Partitions.rollupTable(of: partition)); "
                + "DELETE FROM partitions WHERE name = '\(partition)'")
        chunkInserts[partition] = nil
        rollupStatementCache[Partitions.rollupTable(of: partition)] = nil
        ensuredPartitions = ensuredPartitions.filter { $0.value != partition }
        // Latest timestamps may have come from the dropped partition.
        lastTimestamps = lastTimestamps.filter { heads[$0.key] != nil }
    }

    /// Pages in use (the file size less its free pages): what dropping a partition makes room in.
    private func usedBytes() throws(StoreError) -> Int64 {
        let pages = try database.scalarInt("PRAGMA page_count") - database.scalarInt("PRAGMA freelist_count")
        return pages * (try database.scalarInt("PRAGMA page_size"))
    }

    /// Encodes a series' open chunk into its day's partition and removes its samples from the log.
    private func closeHead(of id: Int64) throws(StoreError) {
        guard heads[id] != nil else { return }
        loggedSamples.bind(1, id)
        var head: [Sample] = []
        do {
            defer { loggedSamples.reset() }
            while try loggedSamples.step() {
                head.append(
                    Sample(timestamp: loggedSamples.int64(0), value: loggedSamples.doubleFromBits(1)))
            }
        }
        guard let first = head.first, let last = head.last else {
            heads[id] = nil
            return
        }
        let day = Partitions.day(of: first.timestamp)
        let table: String
        if let known = ensuredPartitions[day] {
            table = known
        } else {
            table = try Partitions.ensure(day: day, in: database)
            ensuredPartitions[day] = table
        }
        let insert = try chunkInsert(table)
        insert.bind(1, id)
        insert.bind(2, first.timestamp)
        insert.bind(3, last.timestamp)
        insert.bind(4, Int64(head.count))
        insert.bind(5, ChunkCodec.encode(head))
        try insert.run()
        try writeRollups(of: head, series: id, table: Partitions.rollupTable(of: table))
        deleteLogged.bind(1, id)
        deleteLogged.bind(2, last.timestamp)
        try deleteLogged.run()
        heads[id] = nil
    }

    /// Folds a closed chunk into its day's 5-minute and hourly buckets. A bucket that began in the
    /// previous chunk is merged with it (buckets never cross a day, so both are in the same table).
    private func writeRollups(of samples: [Sample], series id: Int64, table: String) throws(StoreError) {
        let (find, upsert) = try rollupStatements(table)
        for resolution in Rollup.resolutions {
            for var rollup in Rollup.summarise(samples, resolution: resolution) {
                find.bind(1, id)
                find.bind(2, resolution)
                find.bind(3, rollup.start)
                if try find.step() {
                    rollup = RollupRow.read(find, start: rollup.start).merged(with: rollup)
                }
                find.reset()
                upsert.bind(1, id)
                upsert.bind(2, resolution)
                RollupRow.bind(rollup, to: upsert, from: 3)
                try upsert.run()
            }
        }
    }

    private func rollupStatements(_ table: String) throws(StoreError) -> (Statement, Statement) {
        if let statements = rollupStatementCache[table] { return statements }
        let find = try database.prepare(
            "SELECT min, max, sum, count, last_ts, last FROM \(table) WHERE series_id = ? AND resolution = ? AND start_ts = ?"
        )
        let upsert = try database.prepare(
            "INSERT OR REPLACE INTO \(table) (series_id, resolution, start_ts, min, max, sum, count, last_ts, last) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        rollupStatementCache[table] = (find, upsert)
        return (find, upsert)
    }

    private func chunkInsert(_ table: String) throws(StoreError) -> Statement {
        if let statement = chunkInserts[table] { return statement }
        let statement = try database.prepare(
            "INSERT OR REPLACE INTO \(table) (series_id, min_ts, max_ts, count, data) VALUES (?, ?, ?, ?, ?)")
        chunkInserts[table] = statement
        return statement
    }

    /// The latest timestamp a series has: its open chunk's last, else its newest closed chunk's end.
    private func lastTimestamp(of id: Int64) throws(StoreError) -> Int64? {
        if let known = lastTimestamps[id] { return known }
        for partition in try Partitions.overlapping(from: .min, through: .max, in: database).reversed() {
            let statement = try database.prepare("SELECT max(max_ts), count(*) FROM \(partition) WHERE series_id = ?")
            statement.bind(1, id)
            if try statement.step(), statement.int64(1) > 0 {
                lastTimestamps[id] = statement.int64(0)
                return statement.int64(0)
            }
        }
        return nil
    }

    /// Loads the open chunks from the log: the replay on start (and after a rolled-back commit).
    private func loadHeads() throws(StoreError) {
        heads = [:]
        lastTimestamps = [:]
        let statement = try database.prepare(
            "SELECT series_id, count(*), min(ts), max(ts) FROM samples GROUP BY series_id")
        while try statement.step() {
            let id = statement.int64(0)
            heads[id] = Head(count: Int(statement.int64(1)), first: statement.int64(2))
            lastTimestamps[id] = statement.int64(3)
        }
    }

    private func forgetAfterRollback() {
        seriesIDs.removeAll()
        chunkInserts.removeAll()
        rollupStatementCache.removeAll()
        ensuredPartitions.removeAll()
        storedMetadata = (try? StoreSchema.readMetadata(database)) ?? [:]
        try? loadHeads()
    }

    private func seriesID(for labels: Labels) throws(StoreError) -> (Int64, Bool) {
        let fingerprint = labels.fingerprint
        if let id = seriesIDs[fingerprint] { return (id, false) }
        let key = labels.description
        findSeries.bind(1, key)
        defer { findSeries.reset() }
        if try findSeries.step() {
            let id = findSeries.int64(0)
            seriesIDs[fingerprint] = id
            return (id, false)
        }
        insertSeries.bind(1, key)
        insertSeries.bind(2, labels.metric ?? "")
        insertSeries.bind(3, StoreSchema.encode(labels))
        try insertSeries.run()
        let id = database.lastInsertRowID
        for pair in labels.pairs {
            insertPosting.bind(1, pair.name)
            insertPosting.bind(2, pair.value)
            insertPosting.bind(3, id)
            try insertPosting.run()
        }
        seriesIDs[fingerprint] = id
        return (id, true)
    }
}

/// A rollup as a row, its doubles as bit patterns.
enum RollupRow {
    static func read(_ statement: Statement, start: Int64, from column: Int32 = 0) -> Rollup {
        Rollup(
            start: start, min: statement.doubleFromBits(column), max: statement.doubleFromBits(column + 1),
            sum: statement.doubleFromBits(column + 2), count: statement.int64(column + 3),
            last: Sample(timestamp: statement.int64(column + 4), value: statement.doubleFromBits(column + 5)))
    }

    static func bind(_ rollup: Rollup, to statement: Statement, from index: Int32) {
        statement.bind(index, rollup.start)
        statement.bind(index + 1, bitsOf: rollup.min)
        statement.bind(index + 2, bitsOf: rollup.max)
        statement.bind(index + 3, bitsOf: rollup.sum)
        statement.bind(index + 4, rollup.count)
        statement.bind(index + 5, rollup.last.timestamp)
        statement.bind(index + 6, bitsOf: rollup.last.value)
    }
}
