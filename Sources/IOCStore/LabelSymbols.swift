import IOCCore

/// Every label name and value of the store's series, each kept once in `symbols` and numbered
/// there, as Prometheus' index keeps its symbol table: a series row holds its labels as those
/// numbers (varints, name then value for each pair), a dozen bytes where the text took two hundred.
/// Symbols are never deleted, so their numbers are dense from 1 and a reader that knows the first
/// n of them reads only those after.
struct LabelSymbols {
    private var texts: [String] = [""]
    /// By bytes (`ExactString`): keyed by `String`, two spellings of one text ("Huế" composed and
    /// decomposed) took one symbol, and a series was stored with the other's bytes.
    private var numbers: [ExactString: Int64] = [:]

    /// The highest symbol number known.
    var newest: Int64 { Int64(texts.count - 1) }

    /// The statement `readNew` steps through.
    static func reading(_ database: Database) throws(StoreError) -> Statement {
        try database.prepare("SELECT id, text FROM symbols WHERE id > ? ORDER BY id")
    }

    /// Reads the symbols numbered after the newest known.
    mutating func readNew(from database: Database) throws(StoreError) { try readNew(try Self.reading(database)) }

    /// Reads the symbols numbered after the newest known, through `reading(_:)`'s statement.
    mutating func readNew(_ statement: Statement) throws(StoreError) {
        statement.bind(1, newest)
        defer { statement.reset() }
        while try statement.step() {
            let number = statement.int64(0)
            guard number == newest + 1 else {
                throw StoreError(
                    path: statement.path, "symbol \(number) follows \(newest): the symbol table is damaged")
            }
            let text = statement.string(1)
            texts.append(text)
            numbers[ExactString(text)] = number
        }
    }

    /// The labels as symbol numbers; nil if one of their texts has no symbol, that is, if no series
    /// of the store has these labels.
    func encode(_ labels: Labels) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(labels.pairs.count * 4)
        for pair in labels.pairs {
            guard let name = numbers[ExactString(pair.name)], let value = numbers[ExactString(pair.value)] else {
                return nil
            }
            appendVarint(UInt64(name), to: &bytes)
            appendVarint(UInt64(value), to: &bytes)
        }
        return bytes
    }

    /// The labels as symbol numbers, giving a symbol to each text that has none (in `database`,
    /// inside the caller's transaction; after a rollback the caller starts again from the file).
    mutating func encode(_ labels: Labels, adding insert: Statement) throws(StoreError) -> [UInt8] {
        for pair in labels.pairs {
            for text in [pair.name, pair.value] where numbers[ExactString(text)] == nil {
                insert.bind(1, newest + 1)
                insert.bind(2, text)
                try insert.run()
                insert.reset()
                numbers[ExactString(text)] = newest + 1
                texts.append(text)
            }
        }
        return encode(labels) ?? []
    }

    /// The labels a series row holds; nil if it is damaged or names a symbol not read yet.
    func decode(_ bytes: UnsafeRawBufferPointer) -> Labels? {
        var cursor = ByteCursor(bytes)
        var pairs: [(String, String)] = []
        while cursor.offset < bytes.count {
            guard let name = try? cursor.varint(), let value = try? cursor.varint(),
                name > 0, value > 0, name < texts.count, value < texts.count
            else { return nil }
            pairs.append((texts[Int(name)], texts[Int(value)]))
        }
        return Labels(pairs)
    }

    static let insert = "INSERT INTO symbols (id, text) VALUES (?, ?)"
}
