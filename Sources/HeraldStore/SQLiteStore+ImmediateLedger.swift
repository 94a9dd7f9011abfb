internal import GRDB
public import HeraldCore

extension SQLiteStore {
    /// Commits `updates` as ``applyLedgerUpdates(_:deliveryID:)`` does, on the caller's
    /// thread, only when that needs no waiting: no other write is queued or running, the
    /// group holds at most ``maxInlineUpdates`` updates and the commit cannot wait for a
    /// checkpoint. Returns `false` without writing anything otherwise (the caller queues
    /// the group with ``applyLedgerUpdates(_:deliveryID:)``).
    ///
    /// The sending engine's loop-driven lanes commit a loop tick's updates with it on the
    /// SMTP sessions' event loop (about 30–60 µs per group); a busy writer never blocks
    /// that loop.
    public func applyLedgerUpdatesIfIdle(_ updates: [LedgerUpdate], deliveryID: String) throws -> Bool {
        guard !updates.isEmpty else { return true }
        guard updates.count <= Self.maxInlineUpdates,
            checkpointer.framesAfterLastCommit + Self.inlineLogMargin <= checkpointer.maxLogFrames, writes.beginIfIdle()
        else {
            return false
        }
        defer { writes.end() }
        do {
            _ = try pool.writeWithoutTransaction { db in
                try LedgerWriter.inTransaction(db) {
                    var writer = LedgerWriter(db: db, deliveryID: deliveryID)
                    return try writer.apply(updates)
                }
            }
            writes.ranInline()
        } catch {
            throw Self.heraldError(error, "applyLedgerUpdates")
        }
        return true
    }
}
