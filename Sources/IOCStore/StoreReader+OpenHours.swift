import IOCCore

/// The open hours as a reader in another process reads them: the saved heads and the log.
extension StoreReader {
    /// The open hours as this reader last decoded them (see `openHours`).
    struct OpenHours {
        /// The lowest record number present when loaded (or the next one, if the log was empty),
        /// and the highest decoded.
        var first: Int64 = -1
        var last: Int64 = -1
        var loaded = false
        /// Whether this reader has read the open hours before: the first read (often the only one:
        /// `ioc query`) decodes just the records and heads its range needs; a second means a
        /// long-lived reader, which then keeps everything and reads only what is new.
        var readBefore = false
        /// Each series' open samples, in time order, by series id (ids are dense from 1).
        var samples: [[Sample]] = []

        subscript(id: Int64) -> [Sample] {
            id >= 0 && id < samples.count ? samples[Int(id)] : []
        }

        /// Appends to a series the caller knows exists (its id is at most the newest series' in the
        /// file), so that a damaged record cannot make the array as long as its id says.
        mutating func append(_ new: [Sample], to id: Int64) {
            guard id >= 0 else { return }
            if id >= samples.count { samples.append(contentsOf: repeatElement([], count: Int(id) + 1 - samples.count)) }
            samples[Int(id)].append(contentsOf: new)
        }
    }

    /// Adds the open chunks' samples from the file: the heads saved when hours last closed, then the
    /// log records since, as `openHours` holds them after reading what is new.
    func addOpenChunks(of ids: [Int64], from start: Int64, through end: Int64, to result: inout [[Sample]])
        throws(StoreError)
    {
        guard openHours.readBefore && logNumbersAreUnique else {
            openHours.readBefore = true
            try addOpenChunksOnce(of: ids, from: start, through: end, to: &result)
            return
        }
        try refreshOpenHours()
        for (position, id) in ids.enumerated() where id >= 0 && id < openHours.samples.count {
            openHours.samples[Int(id)].withUnsafeBufferPointer { open in
                guard let newest = open.last, newest.timestamp >= start else { return }
                // A chunk closed since the open hours were decoded is in `result` already: taken once.
                let after = max(result[position].last?.timestamp ?? .min, start == .min ? .min : start - 1)
                let first = open.partitioningIndex { $0.timestamp > after }
                let last = newest.timestamp <= end ? open.count : open.partitioningIndex { $0.timestamp > end }
                if first < last { result[position].append(contentsOf: open[first..<last]) }
            }
        }
    }

    /// The open chunks' samples in `start...end` straight from the saved heads and the log records
    /// whose times overlap the range, kept nowhere.
    private func addOpenChunksOnce(
        of ids: [Int64], from start: Int64, through end: Int64, to result: inout [[Sample]]
    ) throws(StoreError) {
        var index: [Int64: Int] = [:]
        for (position, id) in ids.enumerated() { index[id] = position }
        try forEachSavedHead(where: { index[$0] != nil }) { id, samples in
            result[index[id] ?? 0] += samples.lazy.filter { $0.timestamp >= start && $0.timestamp <= end }
        }
        logInRange.bind(1, start)
        logInRange.bind(2, end)
        defer { logInRange.reset() }
        while try logInRange.step() {
            try logInRange.withBlob(0) { record throws(StoreError) in
                do {
                    try LogRecord.sections(record, where: { index[$0] != nil }) {
                        id, base, count, bytes throws(ChunkError) in
                        guard let position = index[id] else { return }
                        try CompactSamples.decode(
                            bytes, count: count, base: base, from: start, through: end, into: &result[position])
                    }
                } catch {
                    throw StoreError(path: path, "a log record is damaged: \(error)")
                }
            }
        }
    }

    /// Reads the log records added since the last read, or everything again when the log was
    /// emptied; inside the caller's read transaction.
    private func refreshOpenHours() throws(StoreError) {
        // The lowest and highest numbers from the ends of the rowid B-tree, one subquery each:
        // SQLite finds a lone min() or max() that way, but scans every leaf page of the log for
        // both at once, or for a count (2.6 ms at the end of an hour of 10,000 series).
        let bounds = try database.prepare("SELECT (SELECT min(seq) FROM log), (SELECT max(seq) FROM log)")
        guard try bounds.step() else { return }
        let empty = bounds.optionalInt64(0) == nil
        let low = bounds.optionalInt64(0) ?? 0
        let high = bounds.optionalInt64(1) ?? 0
        // Series made in this snapshot are read first: a record names no series beyond them.
        try readNewSeries()
        let known = newestSeries
        // The saved heads are the ones decoded while the log has not been emptied since: its first
        // record is the one found then or, if it was empty then, the first number given since
        // (every emptying moves the log's next number on; see `WriterConnection.replaceLog`).
        let valid: Bool
        if !openHours.loaded {
            valid = false
        } else if empty {
            let next = try nextLogNumber()
            valid = openHours.last < openHours.first && next == openHours.first
        } else {
            valid = low == openHours.first
        }
        if !valid {
            openHours = OpenHours()
            openHours.loaded = true
            try forEachSavedHead(where: { $0 <= known }) { id, samples in openHours.append(samples, to: id) }
            openHours.first = empty ? try nextLogNumber() : low
            openHours.last = openHours.first - 1
        }
        guard !empty, high > openHours.last else { return }
        let records = try database.prepare("SELECT seq, data FROM log WHERE seq > ? ORDER BY seq")
        records.bind(1, openHours.last)
        while try records.step() {
            let sequence = records.int64(0)
            try records.withBlob(1) { record throws(StoreError) in
                do {
                    try LogRecord.sections(record, where: { $0 <= known }) {
                        id, base, count, bytes throws(ChunkError) in
                        var decoded: [Sample] = []
                        try CompactSamples.decode(bytes, count: count, base: base, into: &decoded)
                        openHours.append(decoded, to: id)
                    }
                } catch {
                    throw StoreError(path: path, "a log record is damaged: \(error)")
                }
            }
            openHours.last = sequence
        }
    }

    /// Calls `body` with each saved open chunk (decoded: the chunk codec, as closed hours) of the
    /// series `wanted`.
    private func forEachSavedHead(where wanted: (Int64) -> Bool, _ body: (Int64, [Sample]) -> Void)
        throws(StoreError)
    {
        let saved = try database.prepare("SELECT series_id, data FROM heads ORDER BY series_id, block")
        while try saved.step() {
            let id = saved.int64(0)
            guard wanted(id) else { continue }
            let samples = try saved.withBlob(1) { bytes throws(StoreError) in
                do {
                    return try ChunkCodec.decode(Array(bytes))
                } catch {
                    throw StoreError(path: path, "the saved open chunk of series \(id) is damaged: \(error)")
                }
            }
            body(id, samples)
        }
    }

    /// The number the next log record will get: one past the highest ever given.
    private func nextLogNumber() throws(StoreError) -> Int64 {
        let statement = try database.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'log'")
        return try statement.step() ? statement.int64(0) + 1 : 1
    }
}
