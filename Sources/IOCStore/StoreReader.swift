import Glibc
public import IOCCore

/// A read-only view of a store file, for the query engine, the CLI and the dashboard (in this or any
/// other process). It sees what the writer has committed, at most about a second behind.
/// Not thread-safe: use one reader per thread.
public final class StoreReader: SeriesSource {
    public let path: String
    private let database: Database
    private let seriesByPosting: Statement
    private let allSeries: Statement
    private let samplesInRange: Statement
    private var chunkQueries: [String: Statement] = [:]
    /// Files from before schema version 3 have no partitions.
    private let hasPartitions: Bool

    /// Opens an existing store; a missing file is an error, never created.
    public init(path: String) throws(StoreError) {
        self.path = path
        guard access(path, F_OK) == 0 else {
            throw StoreError(path: path, "no such file; is iocd writing its store elsewhere? (see --db and $IOC_DB)")
        }
        database = try Database(path: path, readOnly: true)
        try StoreSchema.checkForReading(database)
        seriesByPosting = try database.prepare(
            "SELECT s.id, s.pairs FROM postings p JOIN series s ON s.id = p.series_id WHERE p.name = ? AND p.value = ?")
        allSeries = try database.prepare("SELECT id, pairs FROM series")
        samplesInRange = try database.prepare(
            "SELECT ts, value FROM samples WHERE series_id = ? AND ts >= ? AND ts <= ? ORDER BY ts")
        hasPartitions = try database.scalarInt("PRAGMA user_version") >= 3
    }

    /// Series whose labels satisfy every matcher. An equality matcher with a value narrows the search
    /// through the label index; the other matchers filter what it found.
    public func series(matching matchers: [LabelMatcher]) throws(StoreError) -> [(id: Int64, labels: Labels)] {
        let candidates: [(Int64, Labels)]
        if let anchor = matchers.first(where: { $0.op == .equal && !$0.value.isEmpty }) {
            seriesByPosting.bind(1, anchor.name)
            seriesByPosting.bind(2, anchor.value)
            candidates = try rows(of: seriesByPosting)
        } else {
            candidates = try rows(of: allSeries)
        }
        return candidates.filter { _, labels in matchers.allSatisfy { $0.matches(labels) } }
            .sorted { $0.1 < $1.1 }
            .map { (id: $0.0, labels: $0.1) }
    }

    /// A series' samples in `start...end`: from the closed chunks of the partitions that overlap the
    /// range, then from the log of open chunks.
    public func samples(ofSeries id: Int64, from start: Int64, through end: Int64) throws(StoreError) -> [Sample] {
        try samples(ofSeries: id, from: start, through: end, partitions: try partitions(from: start, through: end))
    }

    private func partitions(from start: Int64, through end: Int64) throws(StoreError) -> [String] {
        hasPartitions ? try Partitions.overlapping(from: start, through: end, in: database) : []
    }

    /// As above, with the overlapping partitions looked up once by the caller for many series.
    private func samples(ofSeries id: Int64, from start: Int64, through end: Int64, partitions: [String])
        throws(StoreError) -> [Sample]
    {
        var samples: [Sample] = []
        for partition in partitions {
            // A partition dropped by retention since the catalog was read is simply not there.
            guard let statement = try? chunkQuery(partition) else { continue }
            statement.bind(1, id)
            statement.bind(2, start)
            statement.bind(3, end)
            defer { statement.reset() }
            while try statement.step() {
                let chunk = statement.withBlob(0) { Array($0) }
                do {
                    let decoded = try ChunkCodec.decode(chunk)
                    samples += decoded.lazy.filter { $0.timestamp >= start && $0.timestamp <= end }
                } catch {
                    throw StoreError(path: path, "a chunk of series \(id) in \(partition) is damaged: \(error)")
                }
            }
        }
        return samples + (try loggedSamples(ofSeries: id, from: start, through: end))
    }

    /// A series' buckets of `resolution` ms (one of `Rollup.resolutions`) that start in
    /// `start...end`: from the rollups of closed chunks, with the open chunk's samples summarised and
    /// folded in. For dashboards over long ranges: a month of a series is about 720 hourly rows.
    public func rollups(ofSeries id: Int64, resolution: Int64, from start: Int64, through end: Int64) throws(StoreError)
        -> [Rollup]
    {
        guard Rollup.resolutions.contains(resolution) else {
            throw StoreError(path: path, "no rollups at \(resolution) ms; they are kept at \(Rollup.resolutions) ms")
        }
        try database.execute("BEGIN")
        defer { try? database.execute("COMMIT") }
        var rollups: [Rollup] = []
        for partition in try partitions(from: start, through: end) {
            let table = Partitions.rollupTable(of: partition)
            guard
                let statement = try? database.prepare(
                    "SELECT start_ts, min, max, sum, count, last_ts, last FROM \(table) "
                        + "WHERE series_id = ? AND resolution = ? AND start_ts >= ? AND start_ts <= ? ORDER BY start_ts"
                )
            else { continue }
            statement.bind(1, id)
            statement.bind(2, resolution)
            statement.bind(3, start)
            statement.bind(4, end)
            while try statement.step() {
                rollups.append(RollupRow.read(statement, start: statement.int64(0), from: 1))
            }
        }
        // The open chunk's samples in the buckets that start in the range (to the end of the last one).
        let (bucketsEnd, overflow) = end.addingReportingOverflow(resolution - 1)
        let open = try loggedSamples(ofSeries: id, from: start, through: overflow ? .max : bucketsEnd)
        for rollup in Rollup.summarise(open, resolution: resolution) where rollup.start >= start && rollup.start <= end
        {
            if let previous = rollups.last, previous.start == rollup.start {
                rollups[rollups.count - 1] = previous.merged(with: rollup)
            } else {
                rollups.append(rollup)
            }
        }
        return rollups
    }

    private func chunkQuery(_ partition: String) throws(StoreError) -> Statement {
        if let statement = chunkQueries[partition] { return statement }
        let statement = try database.prepare(
            "SELECT data FROM \(partition) WHERE series_id = ? AND max_ts >= ? AND min_ts <= ? ORDER BY min_ts")
        chunkQueries[partition] = statement
        return statement
    }

    private func loggedSamples(ofSeries id: Int64, from start: Int64, through end: Int64) throws(StoreError) -> [Sample]
    {
        samplesInRange.bind(1, id)
        samplesInRange.bind(2, start)
        samplesInRange.bind(3, end)
        defer { samplesInRange.reset() }
        var samples: [Sample] = []
        while try samplesInRange.step() {
            samples.append(
                Sample(
                    timestamp: samplesInRange.int64(0),
                    value: samplesInRange.doubleFromBits(1)))
        }
        return samples
    }

    public func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
        // One read transaction: a snapshot, so that a chunk closed meanwhile (moved from the log to a
        // partition) is seen in exactly one of the two places.
        try database.execute("BEGIN")
        defer { try? database.execute("COMMIT") }
        let overlapping = try partitions(from: start, through: end)
        return try series(matching: matchers).map { id, labels throws(StoreError) in
            Series(
                labels: labels, samples: try samples(ofSeries: id, from: start, through: end, partitions: overlapping))
        }
    }

    /// Every label name in the store (`__name__` included), sorted: from the label index, no scan.
    public func labelNames() throws(StoreError) -> [String] {
        let statement = try database.prepare("SELECT DISTINCT name FROM postings ORDER BY name")
        var names: [String] = []
        while try statement.step() { names.append(statement.string(0)) }
        return names
    }

    /// Every value label `name` takes, sorted.
    public func labelValues(_ name: String) throws(StoreError) -> [String] {
        let statement = try database.prepare("SELECT DISTINCT value FROM postings WHERE name = ? ORDER BY value")
        statement.bind(1, name)
        var values: [String] = []
        while try statement.step() { values.append(statement.string(0)) }
        return values
    }

    /// The HELP, TYPE and UNIT that feeds gave for each metric family.
    public func metadata() throws(StoreError) -> [String: MetricMetadata] {
        try StoreSchema.readMetadata(database)
    }

    private func rows(of statement: Statement) throws(StoreError) -> [(Int64, Labels)] {
        defer { statement.reset() }
        var rows: [(Int64, Labels)] = []
        while try statement.step() {
            let id = statement.int64(0)
            guard let labels = statement.withBlob(1, StoreSchema.decode) else {
                throw StoreError(path: path, "series \(id) has damaged labels")
            }
            rows.append((id, labels))
        }
        return rows
    }
}
