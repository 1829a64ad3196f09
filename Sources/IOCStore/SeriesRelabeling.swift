public import IOCCore

/// Changing the labels of stored series in place: their samples stay where they are and answer
/// to the new labels. For corrections of history (`ioc relabel-provinces`), with iocd stopped:
/// a running daemon keeps the old labels of the series it writes in memory.
public enum SeriesRelabeling {
    /// Gives each series (by id) its new labels, with its label index, in one transaction. Changes
    /// nothing and throws if a new label set already belongs to another series (two series cannot
    /// be merged in place) or if a series does not exist.
    public static func apply(_ changes: [(id: Int64, labels: Labels)], path: String) throws(StoreError) {
        guard !changes.isEmpty else { return }
        let database = try Database(path: path, readOnly: false)
        let find = try database.prepare("SELECT id, pairs FROM series WHERE key = ?")
        let update = try database.prepare("UPDATE series SET key = ?, metric = ?, pairs = ? WHERE id = ?")
        let forget = try database.prepare("DELETE FROM postings WHERE series_id = ?")
        let post = try database.prepare("INSERT OR IGNORE INTO postings (name, value, series_id) VALUES (?, ?, ?)")
        try database.transaction { () throws(StoreError) in
            for (id, labels) in changes {
                find.bind(1, StoreSchema.seriesKey(labels))
                var existing: Int64?
                while existing == nil, try find.step() {
                    if find.withBlob(1, StoreSchema.decode) == labels { existing = find.int64(0) }
                }
                find.reset()
                if let existing, existing != id {
                    throw StoreError(
                        path: path, "series \(labels) already exists (id \(existing)); nothing was changed")
                }
                update.bind(1, StoreSchema.seriesKey(labels))
                update.bind(2, labels.metric ?? "")
                update.bind(3, StoreSchema.encode(labels))
                update.bind(4, id)
                try update.run()
                update.reset()
                guard try database.scalarInt("SELECT changes()") == 1 else {
                    throw StoreError(path: path, "no series with id \(id); nothing was changed")
                }
                forget.bind(1, id)
                try forget.run()
                forget.reset()
                for pair in labels.pairs {
                    post.bind(1, pair.name)
                    post.bind(2, pair.value)
                    post.bind(3, id)
                    try post.run()
                    post.reset()
                }
            }
        }
        try StoreSchema.reclaimFreePages(database)
    }
}
