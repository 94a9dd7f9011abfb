/// Figures about the write-ahead log, for benchmarks and diagnostics.
extension SQLiteStore {
    /// How many WAL checkpoints the store has run since it was opened.
    public var checkpointsRun: Int { checkpointer.checkpointCount }

    /// The number of frames (4 KiB pages) in the write-ahead log after the last commit.
    public var logFramesAfterLastCommit: Int { checkpointer.framesAfterLastCommit }
}
