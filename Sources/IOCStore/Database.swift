import CSQLite
import Foundation
public import IOCCore

/// What went wrong in the store, with the file and SQLite's own words.
public struct StoreError: Error, Sendable, CustomStringConvertible, LocalizedText {
    public var path: String
    public var message: String
    /// The catalogue's key and values for the errors an operator meets first (a store that is not
    /// there, or not theirs to read), so that `ioc` says them in the operator's language.
    var key: String?
    var values: [String: String] = [:]

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    init(path: String, key: String, values: [String: String] = [:]) {
        self.path = path
        self.key = key
        self.values = values.merging(["path": path]) { $1 }
        message = Language.en.localized(key, self.values)
    }

    public var description: String { key == nil ? "store \(path): \(message)" : message }

    public func text(_ language: Language) -> String {
        key.map { language.localized($0, values) }
            ?? language.localized("store.error", ["path": path, "message": message])
    }

    /// Fails unless the store file at `path` exists and this user may read (or write) it, saying
    /// which and what to do: a store in iocd's private state directory is not "missing", it is not
    /// readable by this user.
    static func checkReadable(_ path: String, writable: Bool = false) throws(StoreError) {
        if access(path, writable ? R_OK | W_OK : R_OK) == 0 { return }
        let reason = errno
        if reason == ENOENT { throw StoreError(path: path, key: "store.missing") }
        if reason == EACCES {
            let user = ProcessInfo.processInfo.environment["USER"] ?? "root"
            throw StoreError(
                path: path, key: writable ? "store.denied_write" : "store.denied_read", values: ["user": user])
        }
        throw StoreError(path: path, String(cString: strerror(reason)))
    }
}

/// One SQLite connection. Not thread-safe: each thread or serial queue owns its own connection.
final class Database {
    let path: String
    private(set) var handle: OpaquePointer?

    /// Opens `path`; read-only connections never create the file.
    init(path: String, readOnly: Bool) throws(StoreError) {
        self.path = path
        let flags =
            readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        self.handle = handle
        guard code == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(handle)
            self.handle = nil
            throw StoreError(path: path, message)
        }
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, 5000)
        if !readOnly {
            // The -wal and -shm files stay when the last writer closes: a reader who may read them
            // but not create files in the folder (an operator in the group iocd) can still open the
            // store, which SQLite refuses when they are gone.
            var persist: Int32 = 1
            sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
        }
        // SQLite quietly opens a file it may not write read-only; a writer must know at once.
        if !readOnly && sqlite3_db_readonly(handle, "main") == 1 {
            throw StoreError(
                path: path, "the file is read-only (its permissions, or a read-only file system); iocd must write it")
        }
    }

    deinit { sqlite3_close_v2(handle) }

    func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? lastError
            sqlite3_free(message)
            throw StoreError(path: path, "\(text) (in: \(sql.prefix(80)))")
        }
    }

    func prepare(_ sql: String) throws(StoreError) -> Statement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
            let statement
        else { throw StoreError(path: path, "\(lastError) (in: \(sql.prefix(80)))") }
        return Statement(statement, database: self)
    }

    /// A single integer from a query such as `PRAGMA user_version`.
    func scalarInt(_ sql: String) throws(StoreError) -> Int64 {
        let statement = try prepare(sql)
        guard try statement.step() else { return 0 }
        return statement.int64(0)
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    /// Runs `body` in one transaction, committed if it returns and rolled back if it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        // Inside a transaction of the caller's (an import, all or nothing): a savepoint in it.
        if sqlite3_get_autocommit(handle) == 0 {
            try execute("SAVEPOINT nested")
            do {
                let result = try body()
                try execute("RELEASE nested")
                return result
            } catch {
                try? execute("ROLLBACK TO nested")
                try? execute("RELEASE nested")
                throw error
            }
        }
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

/// A prepared statement, reset and reused for each execution.
final class Statement {
    fileprivate let statement: OpaquePointer
    private unowned let database: Database

    init(_ statement: OpaquePointer, database: Database) {
        self.statement = statement
        self.database = database
    }

    deinit { sqlite3_finalize(statement) }

    /// The file of the database the statement reads, for errors.
    var path: String { database.path }

    /// Clears bindings and the previous result, ready for the next execution.
    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(statement, index, value) }
    func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(statement, index, value) }
    func bind(_ index: Int32, _ value: String) {
        sqlite3_bind_text(statement, index, value, -1, csqlite_transient())
    }

    /// Binds text, or NULL for nil.
    func bind(_ index: Int32, _ value: String?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(statement, index) }
    }

    /// Binds an integer, or NULL for nil.
    func bind(_ index: Int32, _ value: Int64?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(statement, index) }
    }

    /// An integer column, nil when NULL.
    func optionalInt64(_ column: Int32) -> Int64? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : int64(column)
    }

    /// A text column, nil when NULL.
    func optionalString(_ column: Int32) -> String? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : string(column)
    }

    /// Advances to the next row: true when there is one, false when the statement is done.
    func step() throws(StoreError) -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw StoreError(path: database.path, database.lastError)
        }
    }

    /// Runs a statement that returns no rows.
    func run() throws(StoreError) {
        defer { reset() }
        while try step() {}
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    /// A double kept as its bit pattern in an INTEGER column, as schema versions 1-3 kept samples:
    /// SQLite turns a NaN REAL into NULL, which would lose NaN payloads and the staleness marker.
    func doubleFromBits(_ column: Int32) -> Double { Double(bitPattern: UInt64(bitPattern: int64(column))) }
    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: text)
    }
}

extension Statement {
    func bind(_ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            _ = sqlite3_bind_blob(statement, index, buffer.baseAddress, Int32(buffer.count), csqlite_transient())
        }
    }

    /// Calls `body` with the bytes of a blob column; they are valid only during the call.
    func withBlob<T, E: Error>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
        let count = Int(sqlite3_column_bytes(statement, column))
        return try body(UnsafeRawBufferPointer(start: sqlite3_column_blob(statement, column), count: count))
    }
}

extension Database {
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// A value a statement's parameter takes: integers, doubles, text and blobs, NULL for nil.
enum SQLValue {
    case integer(Int64?)
    case real(Double)
    case text(String?)
    case blob([UInt8])
}

extension Statement {
    /// Binds `values` to the parameters in order and runs the statement.
    func run(_ values: SQLValue...) throws(StoreError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .integer(let number): bind(index, number)
            case .real(let number): bind(index, number)
            case .text(let text): bind(index, text)
            case .blob(let bytes): bind(index, bytes)
            }
        }
        try run()
    }
}
