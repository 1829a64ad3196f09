import IOCCore

/// The store's tables and their version. The file says which version wrote it (`PRAGMA user_version`);
/// older files are migrated forward, files from a newer IOC are refused and never modified.
///
/// Versions: 1, series, label index and samples (a row each); 2, metric metadata (HELP, TYPE,
/// UNIT); 3, closed chunks in daily partition tables listed in `partitions`, with `samples` keeping
/// the open chunks' samples; 4, chunks of an hour each with its summary, the open chunks in
/// memory made durable by `log` (a record per commit) and `heads` (saved when hours close), and
/// each series' latest timestamp in `watermarks`; 5, the alerts of the alerting rules (`alerts`) and
/// every change of them (`alert_history`), silences, what each notification group last sent
/// (`notification_log`) and the notifications not yet delivered (`notification_queue`); 6, the same
/// tables in a file with `auto_vacuum = INCREMENTAL`, which gives free pages back; 7, `heads` a rowid
/// table of chunks in the chunk codec, as closed hours are (a few bytes a sample less than the
/// writer's in-memory form; and as WITHOUT ROWID every head over 488 bytes took an overflow page of
/// its own, a third of the table's pages empty); 8, log records numbered AUTOINCREMENT, never
/// reused after the log is emptied, so that a reader can tell new records from a new log; 9, series
/// found by a 64-bit key of their labels (the first half of their fingerprint) instead of their labels as text, which the
/// file held twice (the column and its unique index): a third of a small store; 10, label names and
/// values kept once each in `symbols` and series rows holding their numbers (`LabelSymbols`),
/// without the `postings` table, which readers never used (they index the series in memory): a
/// series and its index took 370 bytes, now about 20 (a writer finds series by their labels'
/// fingerprints, which it computes as it opens the file); and chunks without a summary beside them. Versions 1 to 3 are migrated by
/// `StoreMigration`; a version 4 file gains the alert tables when it is next opened for writing.
enum StoreSchema {
    /// 'IOC1' in ASCII, so that `file` and a curious administrator can tell what the file is.
    static let applicationID: Int64 = 0x494F_4331
    static let version: Int64 = 10

    static let tables = """
        CREATE TABLE IF NOT EXISTS symbols (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS series (
            id INTEGER PRIMARY KEY,
            labels BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            min_ts INTEGER NOT NULL,
            max_ts INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS heads (
            series_id INTEGER NOT NULL,
            block INTEGER NOT NULL,
            count INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS watermarks (
            series_id INTEGER PRIMARY KEY,
            last_ts INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS partitions (
            name TEXT PRIMARY KEY,
            start_ts INTEGER NOT NULL,
            end_ts INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS metadata (
            metric TEXT PRIMARY KEY,
            type TEXT,
            help TEXT,
            unit TEXT
        ) WITHOUT ROWID;
        """

    /// The tables of alerts, silences, notifications and set-aside records: made when first
    /// written (a store that holds samples alone has no use for them, and each empty table is a
    /// page). Readers find them missing and answer with nothing.
    static let laterTables = """
        CREATE TABLE IF NOT EXISTS quarantine (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            reason TEXT NOT NULL,
            data BLOB NOT NULL,
            quarantined_at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS alerts (
            rule TEXT NOT NULL,
            labels BLOB NOT NULL,
            annotations BLOB NOT NULL,
            state TEXT NOT NULL,
            active_at INTEGER NOT NULL,
            fired_at INTEGER,
            resolved_at INTEGER,
            keep_firing_since INTEGER,
            value INTEGER NOT NULL,
            PRIMARY KEY (rule, labels)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS alert_history (
            id INTEGER PRIMARY KEY,
            time INTEGER NOT NULL,
            kind TEXT NOT NULL,
            rule TEXT NOT NULL,
            labels BLOB NOT NULL,
            annotations BLOB NOT NULL,
            value INTEGER NOT NULL,
            active_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS alert_history_by_time ON alert_history (time);
        CREATE TABLE IF NOT EXISTS silences (
            id TEXT PRIMARY KEY,
            matchers TEXT NOT NULL,
            starts_at INTEGER NOT NULL,
            ends_at INTEGER NOT NULL,
            created_by TEXT NOT NULL,
            comment TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS notification_log (
            key TEXT PRIMARY KEY,
            firing TEXT NOT NULL,
            sent_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS notification_queue (
            id INTEGER PRIMARY KEY,
            receiver TEXT NOT NULL,
            integration INTEGER NOT NULL,
            payload BLOB NOT NULL,
            attempts INTEGER NOT NULL,
            next_attempt INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        """

    /// Sets the connection up for writing and brings the file to the current schema.
    static func prepareForWriting(_ database: Database) throws(StoreError) {
        // Set explicitly: distributions build SQLite with different defaults.
        // Before WAL mode, so that it applies to a new file. A page ends where its next row would not
        // fit: with hour chunks of a few hundred bytes, 2 KB pages left 14 % of the chunk tables
        // empty and 4 KB ones 7 %; larger pages gain nothing more and write more per commit.
        try database.execute("PRAGMA page_size = 4096")
        // Free pages go back to the file system: the log of the open hour is emptied every hour,
        // retention drops whole days. Before the first table, so that a new file has it.
        try database.execute("PRAGMA auto_vacuum = INCREMENTAL")
        try database.execute("PRAGMA journal_mode = WAL")
        // The WAL is cut back to this after each checkpoint instead of staying at its largest.
        try database.execute("PRAGMA journal_size_limit = 1048576")
        try database.execute("PRAGMA synchronous = NORMAL")
        try database.execute("PRAGMA secure_delete = OFF")
        try database.execute("PRAGMA foreign_keys = OFF")
        try database.transaction { () throws(StoreError) in
            let found = try database.scalarInt("PRAGMA user_version")
            let application = try database.scalarInt("PRAGMA application_id")
            let isEmpty = try database.scalarInt("SELECT count(*) FROM sqlite_master") == 0
            if !isEmpty {
                try check(database, version: found, application: application)
            }
            let legacy = isEmpty || found >= 4 ? nil : try StoreMigration.readLegacy(database, version: found)
            if !isEmpty && found < 10 { try StoreMigration.rewriteSeries(database) }
            if !isEmpty && found >= 4 && found < 10 { try StoreMigration.dropChunkSummaries(database) }
            if !isEmpty && found >= 4 && found < 7 { try StoreMigration.reencodeHeads(database, tables: tables) }
            if !isEmpty && found >= 4 && found < 8 {
                try database.execute(
                    "ALTER TABLE log RENAME TO log_v7; " + tables
                        + "INSERT INTO log (seq, min_ts, max_ts, data) SELECT seq, min_ts, max_ts, data FROM log_v7; "
                        + "DROP TABLE log_v7;")
            }
            try database.execute(tables)
            // Kept in a file that has them; versions before 10 made them at open.
            if !isEmpty && found < 10 { try database.execute(laterTables) }
            if let legacy { try StoreMigration.write(legacy, to: database) }
            try database.execute("PRAGMA user_version = \(version)")
            try database.execute("PRAGMA application_id = \(applicationID)")
        }
        // A file from before version 6 keeps its free pages for ever: rewritten once so that it can
        // give them back (VACUUM takes about a second per 100 MB).
        if try database.scalarInt("PRAGMA auto_vacuum") != 2 {
            try database.execute("PRAGMA auto_vacuum = INCREMENTAL")
            try database.execute("VACUUM")
        }
    }

    /// Makes the tables of alerts, silences, notifications and set-aside records if the file has
    /// none yet, all in one transaction; before the caller's, so that they stay if it rolls back.
    static func makeLaterTables(_ database: Database) throws(StoreError) {
        guard try !hasLaterTables(database) else { return }
        try database.transaction { () throws(StoreError) in try database.execute(laterTables) }
    }

    /// Whether the file has the tables made when first written: all or none (one transaction
    /// makes them; version 5 added them together, and version 4 files have none of them).
    static func hasLaterTables(_ database: Database) throws(StoreError) -> Bool {
        try database.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'notification_queue'") > 0
    }

    /// Gives the file's free pages back to the file system (`auto_vacuum = INCREMENTAL`), after
    /// the log of an hour was emptied, partitions dropped or series relabelled; at most `pages` of
    /// them when given (the rest at later calls).
    static func reclaimFreePages(_ database: Database, atMost pages: Int? = nil) throws(StoreError) {
        guard try database.scalarInt("PRAGMA freelist_count") > 0 else { return }
        try database.execute("PRAGMA incremental_vacuum\(pages.map { "(\(max(1, $0)))" } ?? "")")
    }

    /// Checks that a file opened for reading is an IOC store this version understands.
    static func checkForReading(_ database: Database) throws(StoreError) {
        if try database.scalarInt("SELECT count(*) FROM sqlite_master") == 0 {
            throw StoreError(path: database.path, "the store is empty: iocd has not initialised it yet")
        }
        try check(
            database, version: try database.scalarInt("PRAGMA user_version"),
            application: try database.scalarInt("PRAGMA application_id"))
    }

    private static func check(_ database: Database, version found: Int64, application: Int64) throws(StoreError) {
        guard application == applicationID else {
            throw StoreError(path: database.path, "not an IOC store (SQLite application_id is \(application))")
        }
        guard found <= version else {
            throw StoreError(
                path: database.path,
                "written by a newer IOC (schema version \(found), this one reads up to \(version)); "
                    + "upgrade IOC, the file was not modified")
        }
    }

    /// Every metric's metadata; none for a file from before version 2.
    static func readMetadata(_ database: Database) throws(StoreError) -> [String: MetricMetadata] {
        guard try database.scalarInt("PRAGMA user_version") >= 2 else { return [:] }
        let statement = try database.prepare("SELECT metric, type, help, unit FROM metadata")
        var result: [String: MetricMetadata] = [:]
        while try statement.step() {
            result[statement.string(0)] = MetricMetadata(
                type: statement.optionalString(1), help: statement.optionalString(2), unit: statement.optionalString(3))
        }
        return result
    }

    /// Label pairs as a blob: for each pair, name and value as UInt32 little-endian length plus UTF-8.
    static func encode(_ labels: Labels) -> [UInt8] {
        var bytes: [UInt8] = []
        func append(_ text: String) {
            let utf8 = Array(text.utf8)
            withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: utf8)
        }
        for pair in labels.pairs {
            append(pair.name)
            append(pair.value)
        }
        return bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> Labels? {
        var offset = 0
        func next() -> String? {
            guard offset + 4 <= bytes.count else { return nil }
            let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            offset += 4
            guard offset + length <= bytes.count else { return nil }
            defer { offset += length }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]), as: UTF8.self)
        }
        var pairs: [(String, String)] = []
        while offset < bytes.count {
            guard let name = next(), let value = next() else { return nil }
            pairs.append((name, value))
        }
        return Labels(pairs)
    }
}
