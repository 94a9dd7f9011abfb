import GRDBSQLite
internal import GRDB
import HeraldCore

/// Binds and steps a GRDB-prepared statement through the SQLite C API, for the upsert hot
/// path: no argument boxing, and text bound with its length (SQLITE_TRANSIENT copies it).
/// Every C return code goes through ``check(_:_:)``.
struct RawStatement {
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
    private static let empty: StaticString = ""

    let statement: Statement
    private var handle: OpaquePointer { statement.sqliteStatement }

    init(_ statement: Statement) {
        self.statement = statement
    }

    func check(_ code: Int32, _ function: String) throws {
        guard code == SQLITE_OK || code == SQLITE_DONE || code == SQLITE_ROW else {
            let db = sqlite3_db_handle(handle)
            let message = db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "unknown error"
            throw HeraldError.internal("\(function) failed (\(code)): \(message)")
        }
    }

    func bind(_ index: Int32, _ value: String) throws {
        var value = value
        let code = value.withUTF8 { buffer -> Int32 in
            if buffer.isEmpty {
                return Self.empty.withUTF8Buffer { e in
                    e.baseAddress!.withMemoryRebound(to: CChar.self, capacity: 1) {
                        sqlite3_bind_text(handle, index, $0, 0, Self.transient)
                    }
                }
            }
            return buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                sqlite3_bind_text(handle, index, $0, Int32(buffer.count), Self.transient)
            }
        }
        try check(code, "sqlite3_bind_text")
    }

    /// Binds `count` UTF-8 bytes at `text` with `SQLITE_STATIC`: SQLite keeps the
    /// pointer, so the bytes must stay valid and unchanged until the statement has run
    /// and been rebound or cleared (see ``clearBindings()``).
    func bindStatic(_ index: Int32, _ text: UnsafePointer<UInt8>, _ count: Int32) throws {
        let code = text.withMemoryRebound(to: CChar.self, capacity: Int(count)) {
            sqlite3_bind_text(handle, index, $0, count, nil)
        }
        try check(code, "sqlite3_bind_text")
    }

    /// Binds the UTF-8 bytes of `buffer` with `SQLITE_STATIC` (an empty buffer binds the
    /// empty text): the same lifetime rule as ``bindStatic(_:_:_:)``.
    func bindStatic(_ index: Int32, _ buffer: UnsafeBufferPointer<UInt8>) throws {
        guard let base = buffer.baseAddress, !buffer.isEmpty else {
            let code = Self.empty.withUTF8Buffer { e in
                e.baseAddress!.withMemoryRebound(to: CChar.self, capacity: 1) {
                    sqlite3_bind_text(handle, index, $0, 0, nil)
                }
            }
            return try check(code, "sqlite3_bind_text")
        }
        try bindStatic(index, base, Int32(buffer.count))
    }

    /// The rows changed by the last statement run on this statement's connection.
    var changes: Int {
        sqlite3_db_handle(handle).map { Int(sqlite3_changes($0)) } ?? 0
    }

    /// Unbinds every parameter (none then points at memory the caller frees).
    func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    func bind(_ index: Int32, _ value: String?) throws {
        if let value { try bind(index, value) } else { try bindNull(index) }
    }

    func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(handle, index, value), "sqlite3_bind_int64")
    }

    func bind(_ index: Int32, _ value: Double?) throws {
        if let value {
            try check(sqlite3_bind_double(handle, index, value), "sqlite3_bind_double")
        } else {
            try bindNull(index)
        }
    }

    func bindNull(_ index: Int32) throws {
        try check(sqlite3_bind_null(handle, index), "sqlite3_bind_null")
    }

    /// Runs the statement to completion and resets it.
    func run() throws {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        try check(code, "sqlite3_step")
    }
}
