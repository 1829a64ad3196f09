import IOCCore

/// Closed chunks live in one table per UTC day, `chunks_<days since the epoch>`, listed in the
/// `partitions` table; retention drops whole tables, never rows.
enum Partitions {
    static let dayMilliseconds: Int64 = 86_400_000

    static func day(of timestamp: Int64) -> Int64 {
        timestamp >= 0 ? timestamp / dayMilliseconds : (timestamp + 1) / dayMilliseconds - 1
    }

    static func name(ofDay day: Int64) -> String { day >= 0 ? "chunks_\(day)" : "chunks_m\(-day)" }

    /// The day's rollup table, dropped with its chunk table.
    static func rollupTable(of partition: String) -> String { "rollups_" + partition.dropFirst("chunks_".count) }

    /// Creates the day's table if needed and lists it in the catalog.
    static func ensure(day: Int64, in database: Database) throws(StoreError) -> String {
        let table = name(ofDay: day)
        try database.execute(
            """
            CREATE TABLE IF NOT EXISTS \(table) (
                series_id INTEGER NOT NULL,
                min_ts INTEGER NOT NULL,
                max_ts INTEGER NOT NULL,
                count INTEGER NOT NULL,
                data BLOB NOT NULL,
                PRIMARY KEY (series_id, min_ts)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS \(rollupTable(of: table)) (
                series_id INTEGER NOT NULL,
                resolution INTEGER NOT NULL,
                start_ts INTEGER NOT NULL,
                min INTEGER NOT NULL,
                max INTEGER NOT NULL,
                sum INTEGER NOT NULL,
                count INTEGER NOT NULL,
                last_ts INTEGER NOT NULL,
                last INTEGER NOT NULL,
                PRIMARY KEY (series_id, resolution, start_ts)
            ) WITHOUT ROWID;
            INSERT OR IGNORE INTO partitions (name, start_ts, end_ts)
                VALUES ('\(table)', \(day * dayMilliseconds), \(day * dayMilliseconds + dayMilliseconds - 1));
            """)
        return table
    }

    /// Partition tables overlapping `start...end`, oldest first.
    static func overlapping(from start: Int64, through end: Int64, in database: Database) throws(StoreError) -> [String]
    {
        let statement = try database.prepare(
            "SELECT name FROM partitions WHERE end_ts >= ? AND start_ts <= ? ORDER BY start_ts")
        statement.bind(1, start)
        statement.bind(2, end)
        var names: [String] = []
        while try statement.step() { names.append(statement.string(0)) }
        return names
    }
}
