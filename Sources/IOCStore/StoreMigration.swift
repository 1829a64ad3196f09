import IOCCore

/// Brings a file written by schema versions 1 to 3 to the current one, inside the transaction that
/// `StoreSchema.prepareForWriting` opened: the old sample tables are read, dropped, and their samples
/// written again as closed chunks. It holds the samples in memory; those versions never left
/// development, where files are small.
enum StoreMigration {
    /// Every series' samples in the old tables, which are dropped.
    static func readLegacy(_ database: Database, version: Int64) throws(StoreError) -> [Int64: [Sample]] {
        var samples: [Int64: [Sample]] = [:]
        let tables = try names(in: database, "SELECT name FROM sqlite_master WHERE type = 'table'")
        if version >= 3 {
            for table in tables where table.hasPrefix("chunks_") {
                let statement = try database.prepare("SELECT series_id, data FROM \(table) ORDER BY series_id, min_ts")
                while try statement.step() {
                    let id = statement.int64(0)
                    let chunk = statement.withBlob(1) { Array($0) }
                    do {
                        samples[id, default: []] += try ChunkCodec.decode(chunk)
                    } catch {
                        throw StoreError(
                            path: database.path, "cannot migrate: a chunk in \(table) is damaged: \(error)")
                    }
                }
            }
        }
        if tables.contains("samples") {
            let statement = try database.prepare("SELECT series_id, ts, value FROM samples ORDER BY series_id, ts")
            while try statement.step() {
                samples[statement.int64(0), default: []].append(
                    Sample(timestamp: statement.int64(1), value: statement.doubleFromBits(2)))
            }
        }
        for table in tables where table == "samples" || table.hasPrefix("chunks_") || table.hasPrefix("rollups_") {
            try database.execute("DROP TABLE \(table)")
        }
        if tables.contains("partitions") { try database.execute("DELETE FROM partitions") }
        return samples
    }

    /// Writes migrated samples as closed chunks, an hour each, and the series' watermarks.
    static func write(_ samples: [Int64: [Sample]], to database: Database) throws(StoreError) {
        let watermark = try database.prepare("INSERT OR REPLACE INTO watermarks (series_id, last_ts) VALUES (?, ?)")
        var inserts: [Int64: ClosedChunk] = [:]
        for (id, series) in samples.sorted(by: { $0.key < $1.key }) {
            // Chunks hold increasing times; the old tables never held anything else, but make sure.
            let ordered = series.sorted { $0.timestamp < $1.timestamp }
            var start = ordered.startIndex
            while start < ordered.endIndex {
                let block = Partitions.block(of: ordered[start].timestamp)
                var end = start
                while end < ordered.endIndex && Partitions.block(of: ordered[end].timestamp) == block { end += 1 }
                let day = Partitions.day(of: block)
                let chunks: ClosedChunk
                if let known = inserts[day] {
                    chunks = known
                } else {
                    chunks = try ClosedChunk(try Partitions.ensure(day: day, in: database), in: database)
                    inserts[day] = chunks
                }
                try chunks.write(Array(ordered[start..<end]), series: id, block: block)
                start = end
            }
            if let last = ordered.last {
                watermark.bind(1, id)
                watermark.bind(2, last.timestamp)
                try watermark.run()
            }
        }
    }

    private static func names(in database: Database, _ query: String) throws(StoreError) -> [String] {
        let statement = try database.prepare(query)
        var names: [String] = []
        while try statement.step() { names.append(statement.string(0)) }
        return names
    }

    /// Versions 4 to 6 kept the saved open chunks in the writer's in-memory form, keyed: version 7
    /// keeps them in the chunk codec, in a rowid table.
    static func reencodeHeads(_ database: Database, tables: String) throws(StoreError) {
        try database.execute("ALTER TABLE heads RENAME TO heads_v6; " + tables)
        let old = try database.prepare("SELECT series_id, block, count, data FROM heads_v6")
        let insert = try database.prepare("INSERT INTO heads (series_id, block, count, data) VALUES (?, ?, ?, ?)")
        while try old.step() {
            var samples: [Sample] = []
            let count = old.int64(2)
            let decoded: Bool = old.withBlob(3) { bytes in
                (try? CompactSamples.decode(bytes, count: Int(count), base: old.int64(1), into: &samples)) != nil
            }
            // A damaged one is left for the replay to set aside, as it was.
            guard decoded else { continue }
            insert.bind(1, old.int64(0))
            insert.bind(2, old.int64(1))
            insert.bind(3, Int64(samples.count))
            insert.bind(4, ChunkCodec.encode(samples))
            try insert.run()
            insert.reset()
        }
        try database.execute("DROP TABLE heads_v6")
    }

    /// Versions 1 to 8 found series by their labels as text, version 9 by a 64-bit key with the
    /// labels as text beside it and in `postings`; version 10 keeps the labels as symbol numbers
    /// (`LabelSymbols`) alone.
    static func rewriteSeries(_ database: Database) throws(StoreError) {
        try database.execute(
            "ALTER TABLE series RENAME TO series_v9; DROP INDEX IF EXISTS series_by_key; "
                + "DROP TABLE IF EXISTS postings; "
                + "CREATE TABLE IF NOT EXISTS symbols (id INTEGER PRIMARY KEY, text TEXT NOT NULL); "
                + "CREATE TABLE series (id INTEGER PRIMARY KEY, labels BLOB NOT NULL);")
        var symbols = LabelSymbols()
        try symbols.readNew(from: database)
        let addSymbol = try database.prepare(LabelSymbols.insert)
        let old = try database.prepare("SELECT id, pairs FROM series_v9 ORDER BY id")
        let insert = try database.prepare("INSERT INTO series (id, labels) VALUES (?, ?)")
        while try old.step() {
            guard let labels = old.withBlob(1, StoreSchema.decode) else {
                throw StoreError(path: database.path, "series \(old.int64(0)) has damaged labels; nothing was changed")
            }
            insert.bind(1, old.int64(0))
            insert.bind(2, try symbols.encode(labels, adding: addSymbol))
            try insert.run()
            insert.reset()
        }
        try database.execute("DROP TABLE series_v9")
    }

    /// Version 10 keeps no summary beside each chunk: the column goes from every partition.
    static func dropChunkSummaries(_ database: Database) throws(StoreError) {
        let statement = try database.prepare(
            "SELECT p.name FROM partitions p WHERE EXISTS "
                + "(SELECT 1 FROM pragma_table_info(p.name) WHERE name = 'summary')")
        var tables: [String] = []
        while try statement.step() { tables.append(statement.string(0)) }
        for table in tables { try database.execute("ALTER TABLE \(table) DROP COLUMN summary") }
    }
}
