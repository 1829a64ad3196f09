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
    }

    private struct Buffer {
        var samples: [LabeledSample] = []
        var metadata: [String: MetricMetadata] = [:]
        var statistics = Statistics()
        var closing = false
        var flushRequests: [DispatchSemaphore] = []
        var lastError: StoreError?
    }

    public let path: String
    private let capacity: Int
    private let flushInterval: Duration
    private let buffer = Mutex(Buffer())
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    /// Opens (creating if needed) the store at `path` for writing and starts the writer thread.
    public init(path: String, capacity: Int = 100_000, flushInterval: Duration = .seconds(1)) throws(StoreError) {
        self.path = path
        self.capacity = capacity
        self.flushInterval = flushInterval
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
        while true {
            _ = wake.wait(timeout: .now() + .milliseconds(Int(flushInterval.inMilliseconds)))
            let (batch, metadata, requests, closing) = buffer.withLock { buffer in
                defer {
                    buffer.samples.removeAll(keepingCapacity: true)
                    buffer.metadata.removeAll()
                    buffer.flushRequests.removeAll()
                }
                return (buffer.samples, buffer.metadata, buffer.flushRequests, buffer.closing)
            }
            if !batch.isEmpty || !metadata.isEmpty { commit(batch, metadata: metadata, on: connection) }
            requests.forEach { $0.signal() }
            if closing { return }
        }
    }

    private func commit(_ batch: [LabeledSample], metadata: [String: MetricMetadata], on connection: WriterConnection) {
        do {
            let newSeries = try connection.write(batch, metadata: metadata)
            buffer.withLock {
                $0.statistics.written += batch.count
                $0.statistics.series += newSeries
                $0.lastError = nil
            }
        } catch {
            buffer.withLock {
                $0.statistics.failedCommits += 1
                $0.statistics.dropped += batch.count
                $0.lastError = error
            }
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
        storedMetadata = try StoreSchema.readMetadata(database)
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

    /// Writes a batch (and changed metadata) in one transaction; returns how many series it created.
    func write(_ batch: [LabeledSample], metadata: [String: MetricMetadata] = [:]) throws(StoreError) -> Int {
        let changed = metadata.filter { storedMetadata[$0.key] != $0.value }
        do {
            return try database.transaction { () throws(StoreError) -> Int in
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
                var created = 0
                var rows: [(id: Int64, sample: Sample)] = []
                rows.reserveCapacity(batch.count)
                for item in batch {
                    let (id, isNew) = try seriesID(for: item.labels)
                    if isNew { created += 1 }
                    rows.append((id, item.sample))
                }
                // In key order, each insert lands next to the previous one in the table's B-tree.
                rows.sort { ($0.id, $0.sample.timestamp) < ($1.id, $1.sample.timestamp) }
                for row in rows {
                    insertSample.bind(1, row.id)
                    insertSample.bind(2, row.sample.timestamp)
                    // Stored as the bit pattern: SQLite turns a NaN REAL into NULL, losing stale markers.
                    insertSample.bind(3, Int64(bitPattern: row.sample.value.bitPattern))
                    try insertSample.run()
                }
                return created
            }
        } catch {
            // The transaction rolled back: forget series ids it may have assigned, and metadata it wrote.
            seriesIDs.removeAll()
            storedMetadata = (try? StoreSchema.readMetadata(database)) ?? [:]
            throw error
        }
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
