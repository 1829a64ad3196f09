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
        /// Chunks (a series' hour) closed into partitions.
        public var chunks = 0
        /// Partitions dropped by retention.
        public var partitionsDropped = 0
        /// CPU time the writer thread has spent, in seconds.
        public var cpuSeconds = 0.0
        /// Samples refused because their time is outside what the store can hold
        /// (`SampleAdmission.storableTimestamps`).
        public var outOfBounds = 0
        /// Samples refused because their series would have been new beyond `maxSeries`.
        public var overSeriesLimit = 0
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
        var alerts = AlertRecords()
        var notificationLog: [String: NotificationLogRecord] = [:]
        var queued: [Int64: QueuedNotification] = [:]
        var delivered: Set<Int64> = []
        var statistics = Statistics()
        var closing = false
        /// Told when the commit that follows their request is done.
        var flushRequests: [@Sendable () -> Void] = []
        var maintenanceRequests: [@Sendable () -> Void] = []
        var lastError: StoreError?
        /// When a commit last failed while the failure is reported: recovery is reported after a
        /// quiet minute, so that a nearly full disk, where a small commit sometimes fits, does not
        /// make a pair of lines per commit.
        var failureReportedAt: Int64?
    }

    /// How long commits must succeed before the store is reported as written again (ms).
    static let recoveryQuiet: Int64 = 60_000

    public let path: String
    /// What opening the store set aside in its `quarantine` table because it could not be replayed
    /// (damaged records, times out of range), one line each: for the daemon to log and count.
    public let quarantined: [String]
    private let capacity: Int
    private let flushInterval: Duration
    private let buffer = Mutex(Buffer())
    private let thread: BackgroundThread
    private let retention: Retention
    private let clock: @Sendable () -> Int64
    /// Told, on the writer thread, when commits start failing (with the error) and when they have
    /// succeeded for a minute (nil): once per change, not once per commit, so a full disk makes one
    /// log line, not thousands.
    private let onHealthChange: @Sendable (StoreError?) -> Void
    /// Told, on the writer thread and at most once a minute, that samples of new series were
    /// refused at the series limit: one of those series, and how many samples since the last call.
    private let onSeriesLimit: @Sendable (Labels, Int) -> Void
    private let seriesLimitReport = Mutex(MinuteReport())
    /// Told, at most once a minute, that the queue was full and how many samples it dropped since
    /// the last call: the writer fell behind (a slow disk, a machine short of processor time).
    private let onQueueFull: @Sendable (Int) -> Void
    private let queueFullReport = Mutex(MinuteReport())
    /// The open chunks, which readers made by `makeReader()` read from memory.
    let heads = HeadTable()
    /// Closed chunks the process's readers decoded: four million samples (64 MB), a day of 15-second
    /// samples of 700 series.
    let decodedChunks = DecodedChunkCache(capacity: 4_000_000)

    /// Samples queued at most for the writer: beyond them, samples are dropped and counted. The
    /// queue must hold what arrives while an hour closes: 5,000 probe targets make 14,000 samples a
    /// second and their close took 6 s on two cores busy with two probe farms (13 s before its encoding
    /// was spread over the cores, when a queue of 100,000 dropped 73,000-83,000 samples a close).
    /// Full, the queue takes 24 bytes a sample (12 MB); it is empty again after the next commit.
    public static let defaultCapacity = 500_000

    /// Opens (creating if needed) the store at `path` for writing and starts the writer thread.
    public init(
        path: String, capacity: Int = SampleWriter.defaultCapacity, flushInterval: Duration = .seconds(1),
        retention: Retention = Retention(), maxSeries: Int = .max,
        clock: @escaping @Sendable () -> Int64 = WallClock.nowMilliseconds,
        onHealthChange: @escaping @Sendable (_ error: StoreError?) -> Void = { _ in },
        onSeriesLimit: @escaping @Sendable (_ refused: Labels, _ samples: Int) -> Void = { _, _ in },
        onQueueFull: @escaping @Sendable (_ dropped: Int) -> Void = { _ in }
    ) throws(StoreError) {
        self.onQueueFull = onQueueFull
        self.onSeriesLimit = onSeriesLimit
        self.path = path
        self.onHealthChange = onHealthChange
        self.capacity = capacity
        self.flushInterval = flushInterval
        self.retention = retention
        self.clock = clock
        // Opened here so that a bad file is reported to the caller; from now on only the thread uses it.
        let opened = try WriterConnection(path: path, heads: heads, maxSeries: maxSeries)
        quarantined = opened.quarantined
        let connection = WriterConnection.Handoff(opened)
        thread = BackgroundThread(name: "ioc-store-writer")
        thread.start { [self] _ in self.run(connection) }
    }

    /// Queues samples for the next commit. Returns how many were accepted; the rest were dropped.
    @discardableResult
    public func append(_ samples: [LabeledSample]) -> Int {
        // Nothing the store cannot read back reaches its log: the hour arithmetic of every later
        // open relies on it.
        let bounds = SampleAdmission.storableTimestamps
        var samples = samples
        let before = samples.count
        if samples.contains(where: { !bounds.contains($0.sample.timestamp) }) {
            samples.removeAll { !bounds.contains($0.sample.timestamp) }
        }
        let outOfBounds = before - samples.count
        let (accepted, full) = buffer.withLock { buffer -> (Int, Bool) in
            buffer.statistics.outOfBounds += outOfBounds
            guard !buffer.closing else {
                buffer.statistics.dropped += samples.count
                return (0, false)
            }
            let room = max(0, capacity - buffer.samples.count)
            let accepted = min(room, samples.count)
            buffer.samples.append(contentsOf: samples.prefix(accepted))
            buffer.statistics.dropped += samples.count - accepted
            return (accepted, accepted < samples.count)
        }
        if full, let due = queueFullReport.withLock({ $0.add(samples.count - accepted, at: clock()) }) {
            onQueueFull(due)
        }
        return accepted
    }

    public var statistics: Statistics { buffer.withLock { $0.statistics } }

    /// What the store holds in memory for readers, in bytes: the open hours' chunks (and closed ones
    /// kept a while), the rings of recent samples, and the decoded chunks cached.
    public struct Memory: Sendable {
        public var openChunks: Int
        public var rings: Int
        public var decodedChunks: Int
    }

    /// Walks every series' heads under their lock: for self-metrics, not for every commit.
    public var memory: Memory {
        let (chunks, rings) = heads.state.withLock { $0.memory }
        return Memory(openChunks: chunks, rings: rings, decodedChunks: decodedChunks.held * MemoryLayout<Sample>.stride)
    }

    /// A reader for this process that takes the open chunks from memory rather than from the log,
    /// and closed chunks already decoded from the process's cache: what the daemon's queries use.
    /// Like every reader, one per thread.
    /// `cachingDecodedChunks: false` gives a reader that decodes every chunk it reads (benchmarks of
    /// a first query use it). `mapping` reads the file through a memory map of up to that many bytes
    /// (`StoreReader.queryMapping` for the HTTP API's readers).
    public func makeReader(cachingDecodedChunks: Bool = true, mapping: Int = 0) throws(StoreError) -> StoreReader {
        try StoreReader(
            path: path, heads: heads, cache: cachingDecodedChunks ? decodedChunks : nil, mapping: mapping)
    }

    /// Queues the HELP, TYPE and UNIT of metric families for the next commit; only what differs from
    /// what the store has is written.
    public func record(metadata: [String: MetricMetadata]) {
        guard !metadata.isEmpty else { return }
        buffer.withLock { buffer in
            guard !buffer.closing else { return }
            buffer.metadata.merge(metadata) { $1 }
        }
    }

    /// Queues the alerts of rules as they now stand (each rule's list replaces what the store had for
    /// it) and their changes, for the next commit.
    public func record(alerts: [String: [Alert]], history: [AlertHistoryEntry]) {
        guard !alerts.isEmpty || !history.isEmpty else { return }
        buffer.withLock { buffer in
            guard !buffer.closing else { return }
            buffer.alerts.merge(AlertRecords(rules: alerts, history: history))
        }
    }

    /// Queues notification records for the next commit: log entries (replacing by key), queued or
    /// retried notifications (replacing by id) and delivered ones (deleted).
    public func record(
        notificationLog: [NotificationLogRecord] = [], queued: [QueuedNotification] = [], delivered: [Int64] = []
    ) {
        buffer.withLock { buffer in
            guard !buffer.closing else { return }
            for entry in notificationLog { buffer.notificationLog[entry.key] = entry }
            for item in queued where !buffer.delivered.contains(item.id) { buffer.queued[item.id] = item }
            for id in delivered {
                buffer.queued[id] = nil
                buffer.delivered.insert(id)
            }
        }
    }

    /// The last commit's error, if the last commit failed.
    public var lastError: StoreError? { buffer.withLock { $0.lastError } }

    /// Commits everything queued so far and returns when it is on disk (or the commit failed).
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            request(flush: { continuation.resume() })
        }
    }

    /// `flush()` for synchronous callers on threads of their own (tests, the command line).
    @available(*, noasync, message: "use 'await flush()'")
    public func flush() {
        let done = Completion()
        request(flush: { done.complete() })
        done.waitBlocking()
    }

    /// `flush()` for synchronous callers on threads of their own (remote write): false if the
    /// commit has not ended within `timeout`.
    @available(*, noasync, message: "use 'await flush()'")
    public func flush(within timeout: Duration) -> Bool {
        let done = Completion()
        request(flush: { done.complete() })
        return done.waitBlocking(milliseconds: timeout.inMilliseconds)
    }

    private func request(flush done: @escaping @Sendable () -> Void) {
        let running = buffer.withLock { buffer -> Bool in
            guard !buffer.closing else { return false }
            buffer.flushRequests.append(done)
            return true
        }
        guard running else { return done() }
        thread.wake()
    }

    /// Commits what is queued and stops the writer thread; returns when the file is closed. Later
    /// appends are dropped and counted.
    public func close() async {
        beginClosing()
        await thread.finished()
    }

    /// `close()` for synchronous callers on threads of their own (tests, the command line).
    @available(*, noasync, message: "use 'await close()'")
    public func close() {
        beginClosing()
        thread.waitBlocking()
    }

    private func beginClosing() {
        buffer.withLock { $0.closing = true }
        thread.wake()
    }

    private func run(_ handoff: WriterConnection.Handoff) {
        // The connection is released, closing the file and checkpointing the WAL, before `close()` returns.
        if let connection = handoff.take() { loop(connection, thread) }
    }

    private func loop(_ connection: WriterConnection, _ thread: BackgroundThread) {
        var nextMaintenance: Int64 = 0
        while true {
            let now = clock()
            if now >= nextMaintenance {
                maintain(connection, now: now)
                nextMaintenance = now + 60_000
            }
            thread.pause(milliseconds: flushInterval.inMilliseconds)
            let (batch, metadata, alerts, requests, maintenance, closing) = buffer.withLock { buffer in
                defer {
                    buffer.samples.removeAll(keepingCapacity: true)
                    buffer.metadata.removeAll()
                    buffer.alerts = AlertRecords()
                    buffer.flushRequests.removeAll()
                    buffer.maintenanceRequests.removeAll()
                }
                return (
                    buffer.samples, buffer.metadata, buffer.alerts, buffer.flushRequests, buffer.maintenanceRequests,
                    buffer.closing
                )
            }
            if !batch.isEmpty || !metadata.isEmpty {
                let before = SampleWriter.threadCPUSeconds()
                commit(batch, metadata: metadata, on: connection)
                let spent = SampleWriter.threadCPUSeconds() - before
                buffer.withLock { $0.statistics.cpuSeconds += spent }
            }
            let (log, queued, delivered) = buffer.withLock { buffer in
                defer {
                    buffer.notificationLog = [:]
                    buffer.queued = [:]
                    buffer.delivered = []
                }
                return (Array(buffer.notificationLog.values), Array(buffer.queued.values), Array(buffer.delivered))
            }
            do {
                try connection.write(log: log, queued: queued, delivered: delivered)
            } catch {
                buffer.withLock { buffer in
                    for entry in log where buffer.notificationLog[entry.key] == nil {
                        buffer.notificationLog[entry.key] = entry
                    }
                    for item in queued where buffer.queued[item.id] == nil && !buffer.delivered.contains(item.id) {
                        buffer.queued[item.id] = item
                    }
                    buffer.delivered.formUnion(delivered)
                }
                failed(error)
            }
            if !alerts.isEmpty {
                do {
                    try connection.write(alerts)
                } catch {
                    // Kept for the next commit: the alert state must not be lost to a passing failure.
                    buffer.withLock { buffer in
                        var kept = alerts
                        kept.merge(buffer.alerts)
                        buffer.alerts = kept
                    }
                    failed(error)
                }
            }
            if !maintenance.isEmpty {
                maintain(connection, now: clock())
                maintenance.forEach { $0() }
            }
            requests.forEach { $0() }
            if closing { return }
        }
    }

    /// Closes the hours that are over and applies retention; runs on start and every minute.
    private func maintain(_ connection: WriterConnection, now: Int64) {
        do {
            let (chunks, dropped) = try connection.maintain(now: now, retention: retention)
            buffer.withLock {
                $0.statistics.chunks += chunks
                $0.statistics.partitionsDropped += dropped
            }
        } catch {
            failed(error)
        }
    }

    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Drops partitions beyond the retention now rather than at the next minute (for tests and tools).
    @available(*, noasync, message: "for tests and tools on threads of their own")
    public func applyRetentionNow() {
        let done = Completion()
        let running = buffer.withLock { buffer -> Bool in
            guard !buffer.closing else { return false }
            buffer.maintenanceRequests.append({ done.complete() })
            return true
        }
        guard running else { return }
        thread.wake()
        done.waitBlocking()
    }

    private func commit(_ batch: [LabeledSample], metadata: [String: MetricMetadata], on connection: WriterConnection) {
        do {
            let outcome = try connection.write(batch, metadata: metadata, now: clock())
            buffer.withLock {
                $0.statistics.written += outcome.written
                $0.statistics.series += outcome.newSeries
                $0.statistics.duplicates += outcome.duplicates
                $0.statistics.outOfOrder += outcome.outOfOrder
                $0.statistics.overSeriesLimit += outcome.overSeriesLimit
            }
            if let refused = outcome.refusedSeries { reportSeriesLimit(refused, outcome.overSeriesLimit) }
        } catch {
            buffer.withLock { $0.statistics.dropped += batch.count }
            failed(error)
            return
        }
        do {
            let chunks = try connection.seal()
            buffer.withLock { $0.statistics.chunks += chunks }
            // The emptied log's pages go back to the file system a slice at each commit.
            try connection.reclaimFreePages()
            let forgotten = connection.forgetClosedChunks()
            // The closed hour's open chunks, and what queries freed since, go back to the kernel.
            let now = ContinuousClock.now
            if chunks > 0 || forgotten || now - connection.memoryReturned >= .seconds(600) {
                connection.memoryReturned = now
                ProcessMemory.returnFreedMemory()
            }
        } catch {
            // The samples are in the log; closing their hour is tried again after the next commit.
            failed(error)
            return
        }
        let committedAt = clock()
        let recovered = buffer.withLock { buffer -> Bool in
            buffer.lastError = nil
            guard let failed = buffer.failureReportedAt, committedAt - failed >= Self.recoveryQuiet else {
                return false
            }
            buffer.failureReportedAt = nil
            return true
        }
        if recovered { onHealthChange(nil) }
    }

    private func reportSeriesLimit(_ refused: Labels, _ samples: Int) {
        if let due = seriesLimitReport.withLock({ $0.add(samples, at: clock()) }) { onSeriesLimit(refused, due) }
    }

    /// A count reported at most once a minute: one log line for a condition that lasts, not one
    /// per batch.
    private struct MinuteReport {
        var last = Int64.min
        var pending = 0

        /// Adds `count`; returns what is due for a report now (everything since the last one), if
        /// a minute has passed since it.
        mutating func add(_ count: Int, at now: Int64) -> Int? {
            pending += count
            guard last == .min || now - last >= 60_000 else { return nil }
            defer { (last, pending) = (now, 0) }
            return pending
        }
    }

    private func failed(_ error: StoreError) {
        let now = clock()
        let first = buffer.withLock { buffer -> Bool in
            defer {
                buffer.lastError = error
                buffer.failureReportedAt = now
            }
            buffer.statistics.failedCommits += 1
            return buffer.failureReportedAt == nil
        }
        if first { onHealthChange(error) }
    }
}
