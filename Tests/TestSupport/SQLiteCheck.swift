import CSQLite

/// SQLite's own verdict on a file, `ok` when sound: what crash and disk-full tests must find.
public func sqliteIntegrityCheck(_ path: String) -> String {
    var handle: OpaquePointer?
    guard sqlite3_open(path, &handle) == SQLITE_OK else {
        sqlite3_close(handle)
        return "cannot open \(path)"
    }
    defer { sqlite3_close(handle) }
    var statement: OpaquePointer?
    sqlite3_prepare_v2(handle, "PRAGMA integrity_check", -1, &statement, nil)
    defer { sqlite3_finalize(statement) }
    guard sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) else {
        return "no answer"
    }
    return String(cString: text)
}

/// An integer pragma of a file (`user_version`, `freelist_count`), -1 when it cannot be read.
public func sqlitePragma(_ path: String, _ name: String) -> Int64 { sqliteScalar(path, "PRAGMA \(name)") }

/// The integer a query of a file answers first, -1 when it cannot be read.
public func sqliteScalar(_ path: String, _ query: String) -> Int64 {
    var handle: OpaquePointer?
    guard sqlite3_open(path, &handle) == SQLITE_OK else {
        sqlite3_close(handle)
        return -1
    }
    defer { sqlite3_close(handle) }
    var statement: OpaquePointer?
    sqlite3_prepare_v2(handle, query, -1, &statement, nil)
    defer { sqlite3_finalize(statement) }
    return sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : -1
}

/// Runs SQL on a file outside IOC, as an administrator with `sqlite3` would; false if it fails.
@discardableResult
public func sqliteExecute(_ path: String, _ sql: String) -> Bool {
    var handle: OpaquePointer?
    guard sqlite3_open(path, &handle) == SQLITE_OK else {
        sqlite3_close(handle)
        return false
    }
    defer { sqlite3_close(handle) }
    return sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK
}
