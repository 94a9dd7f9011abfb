import GRDBSQLite
internal import GRDB

/// Stepping through rows of a ``RawStatement`` (the tracking recorder's per-event lookup):
/// columns read straight from SQLite, no `Row`, no boxing.
extension RawStatement {
    /// Steps once: true when a row is available (read it with ``int64(_:)`` and
    /// ``isNull(_:)`` before the next step or ``reset()``), false when done.
    func step() throws -> Bool {
        let code = sqlite3_step(statement.sqliteStatement)
        if code == SQLITE_ROW { return true }
        try check(code, "sqlite3_step")
        return false
    }

    /// Resets the statement after ``step()`` (its bindings stay).
    func reset() {
        sqlite3_reset(statement.sqliteStatement)
    }

    /// Whether column `index` of the current row is NULL.
    func isNull(_ index: Int32) -> Bool {
        sqlite3_column_type(statement.sqliteStatement, index) == SQLITE_NULL
    }

    /// Column `index` of the current row as an integer (NULL reads 0).
    func int64(_ index: Int32) -> Int64 {
        sqlite3_column_int64(statement.sqliteStatement, index)
    }

    /// Column `index` of the current row as text (NULL reads empty).
    func text(_ index: Int32) -> String {
        SQLiteStore.text(statement.sqliteStatement, index)
    }

    /// Column `index` of the current row as text, or nil when NULL.
    func optionalText(_ index: Int32) -> String? {
        isNull(index) ? nil : text(index)
    }

    /// Column `index` of the current row as an integer, or nil when NULL.
    func optionalInt64(_ index: Int32) -> Int64? {
        isNull(index) ? nil : int64(index)
    }
}
