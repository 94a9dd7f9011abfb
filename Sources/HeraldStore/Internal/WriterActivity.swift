internal import Synchronization

/// Counts the store's writes that are queued for or running on GRDB's single writer, so
/// that a short write may run on its caller's thread when no other write would make that
/// thread wait (see ``SQLiteStore/applyLedgerUpdates(_:deliveryID:)``).
///
/// Every write of the store is counted from before it is handed to GRDB until it has
/// finished. The count is a hint: a write counted as alone only runs inline, and another
/// write arriving meanwhile queues behind it as it would behind any transaction.
final class WriterActivity: Sendable {
    private let inFlight = Atomic<Int>(0)
    private let inline = Atomic<Int>(0)

    /// How many writes ran on their caller's thread (for tests and diagnostics).
    var inlineWrites: Int { inline.load(ordering: .relaxed) }

    /// Counts a write that ran on its caller's thread.
    func ranInline() {
        inline.add(1, ordering: .relaxed)
    }

    /// Counts a write about to be handed to the writer.
    func begin() {
        inFlight.add(1, ordering: .acquiringAndReleasing)
    }

    /// Counts a write only when no other is queued or running; returns whether it did
    /// (then call ``end()`` once it has finished).
    func beginIfIdle() -> Bool {
        inFlight.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged
    }

    /// A write counted by ``begin()`` or ``beginIfIdle()`` has finished.
    func end() {
        inFlight.subtract(1, ordering: .acquiringAndReleasing)
    }
}
