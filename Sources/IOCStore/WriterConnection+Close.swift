import IOCCore

/// Closing the open hours: their chunks into the day's partition, the rest saved to `heads`.
extension WriterConnection {
    /// Gives some of the file's free pages back to the file system: the emptied log's, after an
    /// hour closes, a slice at each commit. All at once, an hour's log at 5,000 probe targets took
    /// 3.6-4.5 s on the writer thread while the probes' samples queued.
    func reclaimFreePages() throws(StoreError) {
        try StoreSchema.reclaimFreePages(database, atMost: WriterConnection.pagesReclaimedAtOnce)
    }

    /// Pages `reclaimFreePages` gives back at most (16 MB).
    static let pagesReclaimedAtOnce = 4096

    /// How many chunks a close encodes at once on every core before writing them.
    static let closedTogether = 2048

    /// Closes the open hours that are due (see `dueTime`) by the high-water mark: their chunks go to
    /// the partitions, the other open chunks to `heads`, and the log is emptied, in one transaction.
    /// Returns the number of chunks closed.
    func seal() throws(StoreError) -> Int {
        guard highWater >= nextDue else { return 0 }
        // Which heads close and which stay, by series and hour: each batch takes its heads as they
        // are held (compact) when it is written, and decodes them only then. All of them decoded at
        // once took 16 bytes a sample, 600 MB at the close of 90,000 series' hour; a copy of every
        // head in these lists (96 bytes each, the lists grown by doubling: 31 MB at 70,000 series)
        // was most of the 23-29 MiB a close took above the hour it closed (`ioc-bench close`).
        var closing: [(block: Int64, id: Int64)] = []
        var remaining: [(id: Int64, block: Int64)] = []
        var due = Int64.max
        let keepsClosedChunks = keepsClosedChunks
        let highWater = highWater
        heads.state.withLock { state in
            // Closed hours readers no longer need go first, before this close adds its own.
            state.removeSealed { !keepsClosedChunks || $0.block + WriterConnection.keptInMemory <= highWater }
            for (id, list) in state.all {
                for (index, head) in list.enumerated() where !head.sealed {
                    let time = WriterConnection.dueTime(of: head.block, movedOn: index < list.count - 1)
                    if time <= highWater {
                        closing.append((head.block, id))
                    } else {
                        remaining.append((id, head.block))
                        due = min(due, time)
                    }
                }
            }
        }
        nextDue = due
        guard !closing.isEmpty else { return 0 }
        closing.sort { ($0.block, $0.id) < ($1.block, $1.id) }
        // A series with a head still open finds its latest timestamp there when the store opens; a
        // watermark is written for the others only, not for every series every hour.
        let open = Set(remaining.lazy.map(\.id))
        do {
            try database.transaction { () throws(StoreError) in
                var next = 0
                while next < closing.count {
                    let batch = next..<min(closing.count, next + WriterConnection.closedTogether)
                    next = batch.upperBound
                    let chunks = heads.state.withLock { state in
                        closing[batch].map {
                            (block: $0.block, id: $0.id, samples: state.chunk($0.id, block: $0.block))
                        }
                    }
                    try close(chunks[...], watermarks: open)
                }
                try replaceLog(with: remaining)
            }
        } catch {
            forgetAfterRollback()
            // Nothing closed: look again after the next commit.
            nextDue = .min
            throw error
        }
        // The emptied log's pages go back to the file system at the next commits (`reclaimFreePages`).
        // Each series' heads marked where they are: a copy of every series' list, marked and put
        // back, held every old list until the last was done (18 MB at 70,000 series, at the
        // moment the close's other lists were largest).
        heads.state.withLock { state in
            for chunk in closing { state.markSealed(chunk.id, block: chunk.block) }
            state.removeSealed { !keepsClosedChunks || $0.block + WriterConnection.keptInMemory <= highWater }
        }
        return closing.count
    }

    /// Saves every open chunk to `heads` (encoded, a few bytes a sample) and empties the log of
    /// raw records: what an import leaves of its last hours, instead of a log record per batch.
    func saveHeads() throws(StoreError) {
        var open: [(id: Int64, block: Int64)] = []
        heads.state.withLock { state in
            for (id, list) in state.all {
                for head in list where !head.sealed { open.append((id, head.block)) }
            }
        }
        try database.transaction { () throws(StoreError) in try replaceLog(with: open) }
    }

    /// Saves the open chunks of `open` (series and hour) to `heads`, encoded, in place of the saved
    /// ones and of the log's raw records, which they hold; inside the caller's transaction.
    private func replaceLog(with open: [(id: Int64, block: Int64)]) throws(StoreError) {
        try database.execute("DELETE FROM heads")
        var next = 0
        while next < open.count {
            let batch = open[next..<min(open.count, next + WriterConnection.closedTogether)]
            next = batch.endIndex
            let chunks = heads.state.withLock { state in batch.map { state.chunk($0.id, block: $0.block) } }
            for (head, chunk) in zip(batch, chunks) {
                insertHead.bind(1, head.id)
                insertHead.bind(2, head.block)
                insertHead.bind(3, Int64(chunk.count))
                insertHead.bind(4, ChunkCodec.encode(chunk.samples()))
                try insertHead.run()
            }
        }
        try database.execute("DELETE FROM log")
        // The log's next number moves on even when no record was written since the last save, so
        // that a reader in another process that sees the log empty again, or starting at the
        // number where it stood, knows whether the saved heads are still the ones it decoded.
        try database.execute("UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'log'")
        if try database.scalarInt("SELECT changes()") == 0 {
            try database.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('log', 1)")
        }
    }

    /// Closes `batch` inside the caller's transaction: what the partitions hold already of these
    /// hours is read, each chunk is decoded and encoded on every core (trying every encoding was
    /// nine tenths of an hour's close at 5,000 probe targets: 6.7 of 8.8 s on the writer thread, while
    /// the probes' samples queued), then written, and the heads take their closed form. A series
    /// without an open head gets its watermark.
    private func close(
        _ batch: ArraySlice<(block: Int64, id: Int64, samples: OpenChunk)>, watermarks open: Set<Int64>
    ) throws(StoreError) {
        var earlier: [Int: [UInt8]] = [:]
        for index in batch.indices {
            let chunk = batch[index]
            guard
                let bytes = try chunkInsert(day: Partitions.day(of: chunk.block)).existing(
                    series: chunk.id, block: chunk.block)
            else { continue }
            earlier[index] = bytes
        }
        let path = database.path
        let base = batch.startIndex
        let encoded = ParallelWork.map(batch.count, minimum: 32) {
            offset -> Result<(bytes: [UInt8], merged: Bool, first: Int64, last: Int64, count: Int)?, StoreError> in
            let chunk = batch[base + offset]
            let samples = chunk.samples.samples()
            guard let first = samples.first, let last = samples.last else { return .success(nil) }
            return Result { () throws(StoreError) in
                let written = try ClosedChunk.encode(
                    samples, after: earlier[base + offset], series: chunk.id, path: path)
                return (written.bytes, written.merged, first.timestamp, last.timestamp, samples.count)
            }
        }
        for (offset, result) in encoded.enumerated() {
            let chunk = batch[base + offset]
            guard let written = try result.get() else { continue }
            try chunkInsert(day: Partitions.day(of: chunk.block)).insert(
                written.bytes, series: chunk.id, block: chunk.block)
            if !written.merged {
                // The same samples at the closed chunk's density, for readers until they expire;
                // right whether or not the transaction commits.
                let closed = OpenChunk(
                    closed: written.bytes, base: chunk.block, first: written.first, last: written.last,
                    count: written.count)
                heads.state.withLock { $0.replace(chunk.id, block: chunk.block, with: closed) }
            }
            guard !open.contains(chunk.id) else { continue }
            upsertWatermark.bind(1, chunk.id)
            upsertWatermark.bind(2, written.last)
            try upsertWatermark.run()
        }
    }
}
