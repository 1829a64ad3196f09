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
        let find = try database.prepare("SELECT id, labels FROM series WHERE id = ?")
        let update = try database.prepare("UPDATE series SET key = ?, labels = ? WHERE id = ?")
        let addSymbol = try database.prepare(LabelSymbols.insert)
        var symbols = LabelSymbols()
        try database.transaction { () throws(StoreError) in
            try symbols.readNew(from: database)
            // The series of each key (the file keeps no index of them).
            var idsByKey: [Int64: [Int64]] = [:]
            let keys = try database.prepare("SELECT id, key FROM series")
            while try keys.step() { idsByKey[keys.int64(1), default: []].append(keys.int64(0)) }
            for (id, labels) in changes {
                let key = StoreSchema.seriesKey(labels)
                var existing: Int64?
                let encoded = try symbols.encode(labels, adding: addSymbol)
                for candidate in idsByKey[key] ?? [] where existing == nil {
                    find.bind(1, candidate)
                    if try find.step(), find.withBlob(1, { $0.elementsEqual(encoded) }) { existing = candidate }
                    find.reset()
                }
                if let existing, existing != id {
                    throw StoreError(
                        path: path, "series \(labels) already exists (id \(existing)); nothing was changed")
                }
                update.bind(1, key)
                update.bind(2, encoded)
                update.bind(3, id)
                try update.run()
                update.reset()
                guard try database.scalarInt("SELECT changes()") == 1 else {
                    throw StoreError(path: path, "no series with id \(id); nothing was changed")
                }
                // A later change to the same labels finds this series (candidates are compared by
                // the labels the file holds now).
                idsByKey[key, default: []].append(id)
            }
        }
        try StoreSchema.reclaimFreePages(database)
    }
}
