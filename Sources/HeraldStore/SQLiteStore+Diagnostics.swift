internal import GRDB

/// Figures about the write-ahead log, for benchmarks and diagnostics.
extension SQLiteStore {
    /// How many WAL checkpoints the store has run since it was opened.
    public var checkpointsRun: Int { checkpointer.checkpointCount }

    /// The number of frames (4 KiB pages) in the write-ahead log after the last commit.
    public var logFramesAfterLastCommit: Int { checkpointer.framesAfterLastCommit }

    /// The write transactions committed since the store was opened and the log frames
    /// (pages) they wrote: a transaction writes each page it changed once, as one frame.
    public var committedTransactions: (transactions: Int, frames: Int) { checkpointer.commitTotals }
}

extension SQLiteStore {
    /// The pages of each named table or index and the bytes unused in them (SQLite's
    /// `dbstat`), for benchmarks: how full the B-trees are. Names absent from the file
    /// are absent from the result.
    public func pageUsage(of names: [String]) async throws -> [String: (pages: Int, unusedBytes: Int)] {
        try await read("pageUsage") { db in
            var usage: [String: (pages: Int, unusedBytes: Int)] = [:]
            let rows = try Row.fetchAll(
                db, sql: "SELECT name, count(*), sum(unused) FROM dbstat WHERE name IN (SELECT value FROM json_each(?)) GROUP BY name",
                arguments: [CompactJSON.encode(names)]
            )
            for row in rows { usage[row[0]] = (row[1], row[2]) }
            return usage
        }
    }
}

extension SQLiteStore {
    /// The `cache_size` pragma of the write connection and of a read connection (for tests).
    func cacheSizePragmas() throws -> (writer: Int, reader: Int) {
        let writer = try pool.write { try Int.fetchOne($0, sql: "PRAGMA cache_size") } ?? 0
        let reader = try pool.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } ?? 0
        return (writer, reader)
    }
}
