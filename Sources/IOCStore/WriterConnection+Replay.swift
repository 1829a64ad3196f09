import IOCCore

/// Opening the store: what the file holds back into memory, and what cannot be read set aside.
extension WriterConnection {
    /// Rebuilds memory from the file: the latest timestamps, the saved open chunks and the log.
    /// A saved chunk or log record that cannot be read back, or holds a time the store cannot hold,
    /// is moved to the `quarantine` table (kept for inspection, counted in `quarantined`) and the
    /// rest is replayed: no record can keep the daemon from starting.
    func replay() throws(StoreError) {
        lastTimestamps = LatestTimestamps()
        heads.state.withLock { $0.removeAll() }
        nextDue = .max
        quarantined = []
        let bounds = SampleAdmission.storableTimestamps
        let watermarks = try database.prepare("SELECT series_id, last_ts FROM watermarks")
        while try watermarks.step() {
            let id = watermarks.int64(0)
            let time = watermarks.int64(1)
            // A watermark beyond the bounds would refuse every later sample of its series.
            if bounds.contains(time) { lastTimestamps[id] = time }
        }
        var samples: [(id: Int64, sample: Sample)] = []
        var damaged: [Damaged] = []
        let saved = try database.prepare("SELECT series_id, block, count, data FROM heads ORDER BY series_id, block")
        while try saved.step() {
            let id = saved.int64(0)
            let block = saved.int64(1)
            var decoded: [Sample] = []
            var failure: String?
            var bytes: [UInt8] = []
            saved.withBlob(3) { blob in
                // The bytes are kept only to be set aside.
                defer { if failure != nil { bytes = Array(blob) } }
                do {
                    // An hour holds at most one sample per millisecond of a series.
                    guard bounds.contains(block), (0...Partitions.blockMilliseconds).contains(saved.int64(2)) else {
                        failure = "its hour or count is out of range"
                        return
                    }
                    decoded = try ChunkCodec.decode(Array(blob))
                    if decoded.count != saved.int64(2) {
                        failure = "it holds \(decoded.count) samples, not \(saved.int64(2))"
                    }
                    if decoded.contains(where: { !bounds.contains($0.timestamp) }) {
                        failure = "a time is out of range"
                    }
                } catch {
                    failure = "\(error)"
                }
            }
            if let failure {
                damaged.append(
                    Damaged(table: "heads", key: [("series_id", id), ("block", block)], reason: failure, data: bytes))
            } else {
                samples += decoded.map { (id, $0) }
            }
        }
        apply(samples)
        let log = try database.prepare("SELECT seq, data FROM log ORDER BY seq")
        while try log.step() {
            var record: [(id: Int64, sample: Sample)] = []
            var failure: String?
            var bytes: [UInt8] = []
            log.withBlob(1) { blob in
                defer { if failure != nil { bytes = Array(blob) } }
                do {
                    record = try LogRecord.samples(in: blob)
                    if record.contains(where: { !bounds.contains($0.sample.timestamp) }) {
                        failure = "a time is out of range"
                    }
                } catch {
                    failure = "\(error)"
                }
            }
            if let failure {
                damaged.append(Damaged(table: "log", key: [("seq", log.int64(0))], reason: failure, data: bytes))
            } else {
                apply(record)
            }
        }
        if !damaged.isEmpty { try quarantine(damaged) }
        highWater = lastTimestamps.newest
    }

    /// A saved open chunk or log record that replay could not apply: its row, why, and its bytes.
    struct Damaged {
        var table: String
        var key: [(column: String, value: Int64)]
        var reason: String
        var data: [UInt8]

        var source: String { table + " " + key.map { "\($0.column)=\($0.value)" }.joined(separator: " ") }
    }

    /// Moves the damaged rows to the `quarantine` table, in one transaction.
    func quarantine(_ damaged: [Damaged]) throws(StoreError) {
        let now = WallClock.nowMilliseconds()
        try StoreSchema.makeLaterTables(database)
        try database.transaction { () throws(StoreError) in
            let insert = try database.prepare(
                "INSERT INTO quarantine (source, reason, data, quarantined_at) VALUES (?, ?, ?, ?)")
            for row in damaged {
                try insert.run(.text(row.source), .text(row.reason), .blob(row.data), .integer(now))
                let delete = try database.prepare(
                    "DELETE FROM \(row.table) WHERE " + row.key.map { "\($0.column) = ?" }.joined(separator: " AND "))
                for (index, part) in row.key.enumerated() { delete.bind(Int32(index + 1), part.value) }
                try delete.run()
            }
        }
        quarantined = damaged.map { "\($0.source): \($0.reason)" }
    }
}
