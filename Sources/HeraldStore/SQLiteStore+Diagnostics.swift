internal import GRDB

/// Figures about the write-ahead log, for benchmarks and diagnostics.
extension SQLiteStore {
    /// How many WAL checkpoints the store has run since it was opened.
    public var checkpointsRun: Int { checkpointer.checkpointCount }

    /// The number of frames (4 KiB pages) in the write-ahead log after the last commit.
    public var logFramesAfterLastCommit: Int { checkpointer.framesAfterLastCommit }
}

extension SQLiteStore {
    /// The `cache_size` pragma of the write connection and of a read connection (for tests).
    func cacheSizePragmas() throws -> (writer: Int, reader: Int) {
        let writer = try pool.write { try Int.fetchOne($0, sql: "PRAGMA cache_size") } ?? 0
        let reader = try pool.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } ?? 0
        return (writer, reader)
    }
}
