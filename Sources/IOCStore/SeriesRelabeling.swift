public import IOCCore

/// Changing the labels of stored series in place: their samples stay where they are and answer
/// to the new labels. For corrections of history (`ioc relabel-provinces`), with iocd stopped:
/// a running daemon keeps the old labels of the series it writes in memory.
public enum SeriesRelabeling {
    /// Gives each series (by id) its new labels in one transaction. Changes
    /// nothing and throws if a new label set already belongs to another series (two series cannot
    /// be merged in place) or if a series does not exist.
    public static func apply(_ changes: [(id: Int64, labels: Labels)], path: String) throws(StoreError) {
        guard !changes.isEmpty else { return }
        let database = try Database(path: path, readOnly: false)
        // Brought to the present schema first, as any writer does.
        try StoreSchema.prepareForWriting(database)
        let update = try database.prepare("UPDATE series SET labels = ? WHERE id = ?")
        let addSymbol = try database.prepare(LabelSymbols.insert)
        var symbols = LabelSymbols()
        try database.transaction { () throws(StoreError) in
            try symbols.readNew(from: database)
            // Every series by its labels, as they are now (the file keeps no index of them).
            var ids: [Labels: Int64] = [:]
            var labelsOf: [Int64: Labels] = [:]
            let all = try database.prepare("SELECT id, labels FROM series")
            while try all.step() {
                guard let labels = all.withBlob(1, symbols.decode) else {
                    throw StoreError(path: path, "series \(all.int64(0)) has damaged labels; nothing was changed")
                }
                ids[labels] = all.int64(0)
                labelsOf[all.int64(0)] = labels
            }
            for (id, labels) in changes {
                if let existing = ids[labels], existing != id {
                    throw StoreError(
                        path: path, "series \(labels) already exists (id \(existing)); nothing was changed")
                }
                update.bind(1, try symbols.encode(labels, adding: addSymbol))
                update.bind(2, id)
                try update.run()
                update.reset()
                guard try database.scalarInt("SELECT changes()") == 1 else {
                    throw StoreError(path: path, "no series with id \(id); nothing was changed")
                }
                // A later change to the same labels finds this series, and its old ones are free.
                if let old = labelsOf[id], ids[old] == id { ids[old] = nil }
                ids[labels] = id
                labelsOf[id] = labels
            }
        }
        try StoreSchema.reclaimFreePages(database)
    }
}
