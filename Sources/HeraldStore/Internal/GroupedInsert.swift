internal import GRDB

/// Inserts rows with one multi-row INSERT per `perStatement` rows (the rest one by one):
/// one statement execution per group instead of per row, the texts of a group bound from
/// one ``TextArena`` (no copy by SQLite).
struct GroupedInsert {
    private let group: RawStatement
    private let single: RawStatement
    private let perStatement: Int

    /// Prepares (cached) the group and single-row statements `prefix + row, row, …`.
    init(_ db: Database, prefix: String, row: String, perStatement: Int) throws {
        group = RawStatement(try db.cachedStatement(
            sql: prefix + Array(repeating: row, count: perStatement).joined(separator: ", ")
        ))
        single = RawStatement(try db.cachedStatement(sql: prefix + row))
        self.perStatement = perStatement
    }

    /// Inserts `rows`: for each group, `texts` appends the group's texts to the arena, then
    /// `bind` binds the group's parameters (the arena's spans, its base address) before the
    /// statement runs.
    func insert<Row>(
        _ rows: [Row],
        texts: (ArraySlice<Row>, inout TextArena) -> Void,
        bind: (RawStatement, ArraySlice<Row>, [TextArena.Span], UnsafePointer<UInt8>) throws -> Void
    ) throws {
        defer {
            group.clearBindings()
            single.clearBindings()
        }
        var arena = TextArena()
        var start = 0
        while start < rows.count {
            let grouped = rows.count - start >= perStatement
            let statement = grouped ? group : single
            let slice = rows[start..<(start + (grouped ? perStatement : 1))]
            arena.removeAll()
            texts(slice, &arena)
            let spans = arena.spans
            try arena.withBase { base in
                try bind(statement, slice, spans, base)
                try statement.run()
            }
            start += slice.count
        }
    }
}
