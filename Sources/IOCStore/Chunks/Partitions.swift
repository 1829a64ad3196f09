import IOCCore

/// Closed chunks live in one table per UTC day, `chunks_<days since the epoch>`, listed in the
/// `partitions` table; retention drops whole tables, never rows.
///
/// A chunk holds one series' samples of one hour (a block), one chunk per series and hour. Rows are
/// keyed by hour first, then series (`key` is `hour << 48 | series id`): the chunks of a block,
/// closed together, are appended at the end of the table's B-tree in one sweep rather than
/// scattered over every page of it. A rowid table rather than WITHOUT ROWID: its rows keep up to
/// 4 KB on the leaf page, where an index B-tree spills anything over 1 KB to an overflow page of its
/// own. Rows hold the chunk alone: until version 10 each carried the hour's summary (a `Rollup`),
/// a tenth of the file for what decoding the chunk gives in a microsecond.
enum Partitions {
    static let dayMilliseconds: Int64 = 86_400_000
    static let blockMilliseconds: Int64 = 3_600_000

    static func day(of timestamp: Int64) -> Int64 { floorDivide(timestamp, dayMilliseconds) }

    /// The start of the hour block that holds `timestamp`.
    /// Times outside what the store can hold are clamped to its bounds first: a reader asked about
    /// the year -290,000,000 looks at the earliest hour there can be, not at an overflow.
    static func block(of timestamp: Int64) -> Int64 {
        let bounds = SampleAdmission.storableTimestamps
        let time = min(max(timestamp, bounds.lowerBound), bounds.upperBound)
        return floorDivide(time, blockMilliseconds) * blockMilliseconds
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : (value + 1) / divisor - 1
    }

    /// The hours of the day that starts at `day` (0-23) overlapping `start...end`; nil for none.
    static func hours(of day: Int64, from start: Int64, through end: Int64) -> ClosedRange<Int64>? {
        let first = start <= day ? 0 : (start - day) / blockMilliseconds
        let dayEnd = day + dayMilliseconds - 1
        let last = end >= dayEnd ? dayMilliseconds / blockMilliseconds - 1 : floorDivide(end - day, blockMilliseconds)
        return first <= last ? first...last : nil
    }

    /// The row key of series `id`'s chunk of the hour that starts at `block`.
    static func key(block: Int64, series id: Int64) -> Int64 {
        ((block - day(of: block) * dayMilliseconds) / blockMilliseconds) << 48 | id
    }

    static func name(ofDay day: Int64) -> String { day >= 0 ? "chunks_\(day)" : "chunks_m\(-day)" }

    /// Creates the day's table if needed and lists it in the catalog.
    static func ensure(day: Int64, in database: Database) throws(StoreError) -> String {
        let table = name(ofDay: day)
        try database.execute(
            """
            CREATE TABLE IF NOT EXISTS \(table) (
                key INTEGER PRIMARY KEY,
                data BLOB NOT NULL
            );
            INSERT OR IGNORE INTO partitions (name, start_ts, end_ts)
                VALUES ('\(table)', \(day * dayMilliseconds), \(day * dayMilliseconds + dayMilliseconds - 1));
            """)
        return table
    }

    /// Partition tables overlapping `start...end`, oldest first, with the start of their day.
    static func overlapping(from start: Int64, through end: Int64, in database: Database) throws(StoreError)
        -> [(name: String, start: Int64)]
    {
        let statement = try database.prepare(
            "SELECT name, start_ts FROM partitions WHERE end_ts >= ? AND start_ts <= ? ORDER BY start_ts")
        statement.bind(1, start)
        statement.bind(2, end)
        var names: [(String, Int64)] = []
        while try statement.step() {
            // A row names the table of the day it starts, as `ensure` writes it. One that does not
            // (a damaged or edited file) is not read: its start would overflow the hours'
            // arithmetic of readers and of retention, and its name goes into SQL.
            let (name, day) = (statement.string(0), statement.int64(1))
            guard day % dayMilliseconds == 0, SampleAdmission.storableTimestamps.contains(day),
                name == Partitions.name(ofDay: day / dayMilliseconds)
            else { continue }
            names.append((name, day))
        }
        return names
    }
}

/// Writing one closed chunk: a series' samples of one hour, in time order. A series has one chunk
/// per hour: samples that arrive for an hour already closed (a series that resumes after a long
/// silence within the same hour) are merged into its chunk.
struct ClosedChunk {
    private let find: Statement
    private let insert: Statement
    private let path: String

    init(_ table: String, in database: Database) throws(StoreError) {
        path = database.path
        find = try database.prepare("SELECT data FROM \(table) WHERE key = ?")
        insert = try database.prepare("INSERT OR REPLACE INTO \(table) (key, data) VALUES (?, ?)")
    }

    /// Writes the chunk; returns its bytes when they hold `samples` alone (nothing was merged).
    @discardableResult
    func write(_ samples: [Sample], series id: Int64, block: Int64) throws(StoreError) -> [UInt8]? {
        guard !samples.isEmpty else { return nil }
        let earlier = try existing(series: id, block: block)
        let chunk = try ClosedChunk.encode(samples, after: earlier, series: id, path: path)
        try insert(chunk.bytes, series: id, block: block)
        return chunk.merged ? nil : chunk.bytes
    }

    /// The chunk the partition holds already for the series' hour, if any.
    func existing(series id: Int64, block: Int64) throws(StoreError) -> [UInt8]? {
        find.bind(1, Partitions.key(block: block, series: id))
        defer { find.reset() }
        return try find.step() ? find.withBlob(0) { Array($0) } : nil
    }

    /// `samples` encoded as a chunk, after those of the `earlier` chunk of the same hour if there
    /// is one (then `merged`). No SQLite: the close encodes its chunks on every core.
    static func encode(_ samples: [Sample], after earlier: [UInt8]?, series id: Int64, path: String)
        throws(StoreError) -> (bytes: [UInt8], merged: Bool)
    {
        guard let earlier else { return (ChunkCodec.encode(samples), false) }
        do {
            return (ChunkCodec.encode(try ChunkCodec.decode(earlier) + samples), true)
        } catch {
            throw StoreError(path: path, "a chunk of series \(id) is damaged: \(error)")
        }
    }

    /// Writes `chunk` as the series' chunk of its hour, in place of any it had.
    func insert(_ chunk: [UInt8], series id: Int64, block: Int64) throws(StoreError) {
        insert.bind(1, Partitions.key(block: block, series: id))
        insert.bind(2, chunk)
        try insert.run()
    }
}
