import IOCCore

/// Closing the open hours: their chunks into the day's partition, the rest saved to `heads`.
extension WriterConnection {
    /// How many chunks an hour's close writes between giving freed memory back.
    static let chunksBetweenReturns = 4096

    /// Closes the open hours that are due (see `dueTime`) by the high-water mark: their chunks go to
    /// the partitions, the other open chunks to `heads`, and the log is emptied, in one transaction.
    /// Returns the number of chunks closed.
    func seal() throws(StoreError) -> Int {
        guard highWater >= nextDue else { return 0 }
        // The closing heads as they are held (compact), each decoded only as it is written: all of
        // them decoded at once took 16 bytes a sample, 600 MB at the close of 90,000 series' hour.
        var closing: [(block: Int64, id: Int64, samples: OpenChunk)] = []
        var remaining: [(id: Int64, block: Int64, samples: OpenChunk)] = []
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
                        closing.append((head.block, id, head.samples))
                    } else {
                        remaining.append((id, head.block, head.samples))
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
                for index in closing.indices {
                    // The open chunks let go so far go back to the kernel as the close goes on, not
                    // two seconds after it: the hour's parts are freed faster than the allocator
                    // returns them while the closed chunks are made.
                    if index % WriterConnection.chunksBetweenReturns == WriterConnection.chunksBetweenReturns - 1 {
                        ProcessMemory.returnFreedMemory()
                    }
                    let chunk = closing[index]
                    let samples = chunk.samples.samples()
                    // This copy of the head is let go as it is written, not at the end.
                    closing[index].samples = OpenChunk(base: chunk.block)
                    guard let first = samples.first, let last = samples.last else { continue }
                    if let written = try chunkInsert(day: Partitions.day(of: chunk.block))
                        .write(samples, series: chunk.id, block: chunk.block)
                    {
                        // The same samples at the closed chunk's density, for readers until they
                        // expire; right whether or not the transaction commits.
                        let closed = OpenChunk(
                            closed: written, base: chunk.block, first: first.timestamp, last: last.timestamp,
                            count: samples.count)
                        heads.state.withLock { $0.replace(chunk.id, block: chunk.block, with: closed) }
                    }
                    guard !open.contains(chunk.id) else { continue }
                    upsertWatermark.bind(1, chunk.id)
                    upsertWatermark.bind(2, last.timestamp)
                    try upsertWatermark.run()
                }
                try replaceLog(with: remaining)
            }
        } catch {
            forgetAfterRollback()
            // Nothing closed: look again after the next commit.
            nextDue = .min
            throw error
        }
        // The emptied log's pages go back to the file system rather than staying free in the file.
        try StoreSchema.reclaimFreePages(database)
        let sealed = Set(closing.lazy.map { SealedKey(id: $0.id, block: $0.block) })
        heads.state.withLock { state in
            for (id, list) in Array(state.all) {
                var kept = list
                for index in kept.indices where sealed.contains(SealedKey(id: id, block: kept[index].block)) {
                    kept[index].sealed = true
                }
                kept.removeAll {
                    $0.sealed && (!keepsClosedChunks || $0.block + WriterConnection.keptInMemory <= highWater)
                }
                state[id] = kept
            }
        }
        return closing.count
    }

    /// Saves every open chunk to `heads` (encoded, a few bytes a sample) and empties the log of
    /// raw records: what an import leaves of its last hours, instead of a log record per batch.
    func saveHeads() throws(StoreError) {
        var open: [(id: Int64, block: Int64, samples: OpenChunk)] = []
        heads.state.withLock { state in
            for (id, list) in state.all {
                for head in list where !head.sealed { open.append((id, head.block, head.samples)) }
            }
        }
        try database.transaction { () throws(StoreError) in try replaceLog(with: open) }
    }

    /// Saves the open chunks to `heads`, encoded, in place of the saved ones and of the log's raw
    /// records, which they hold; inside the caller's transaction.
    private func replaceLog(with open: [(id: Int64, block: Int64, samples: OpenChunk)]) throws(StoreError) {
        try database.execute("DELETE FROM heads")
        for head in open {
            insertHead.bind(1, head.id)
            insertHead.bind(2, head.block)
            insertHead.bind(3, Int64(head.samples.count))
            insertHead.bind(4, ChunkCodec.encode(head.samples.samples()))
            try insertHead.run()
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

    private struct SealedKey: Hashable {
        var id: Int64
        var block: Int64
    }
}
