/// Where sending reads and moves a delivery's ledger rows (``PreparedMessage``s).
///
/// A row leaves PENDING once, to SENT, FAILED or CANCELLED: the moving methods change
/// only PENDING rows, so `sent + failed + pending + cancelled` stays `to_deliver`.
/// Methods throw ``HeraldError``.
public protocol SendingStore: Sendable {
    /// At most `limit` PENDING rows of a delivery by sequence, after sequence `after`.
    func pendingEntries(deliveryID: String, after: Int, limit: Int) async throws -> [LedgerEntry]

    /// Records an attempt that failed temporarily: the row stays PENDING.
    func recordRetry(
        deliveryID: String, sequence: Int, attempts: Int, reply: String, at time: Timestamp, nextAttempt: Timestamp
    ) async throws

    /// Moves a PENDING row to SENT; returns whether it was PENDING.
    @discardableResult
    func markSent(deliveryID: String, sequence: Int, attempts: Int, reply: String, at time: Timestamp) async throws -> Bool

    /// Moves a PENDING row to FAILED with a reason; returns whether it was PENDING.
    @discardableResult
    func markFailed(
        deliveryID: String, sequence: Int, reason: MessageFailureReason, attempts: Int, reply: String, at time: Timestamp
    ) async throws -> Bool

    /// Applies `updates` to a delivery's rows as one transaction: all or none, and a
    /// reader sees either none or all of them (the engine's group commit). Rows that are
    /// no longer PENDING are left alone.
    func applyLedgerUpdates(_ updates: [LedgerUpdate], deliveryID: String) async throws

    /// Applies `updates` as ``applyLedgerUpdates(_:deliveryID:)`` does, synchronously on
    /// the caller's thread, only when the store can do so at once without waiting for
    /// another write; returns `false` (nothing applied) otherwise. The default never
    /// applies anything.
    func applyLedgerUpdatesIfIdle(_ updates: [LedgerUpdate], deliveryID: String) throws -> Bool

    /// How many messages to `address` (compared case-insensitively, ASCII) ended FAILED
    /// with a soft reason (``MessageFailureReason/isSoft``) at or after `since`, over
    /// every delivery.
    func softFailureCount(address: String, since: Timestamp) async throws -> Int

    /// Moves every PENDING row of a delivery to CANCELLED; returns how many.
    func cancelPending(deliveryID: String, at time: Timestamp) async throws -> Int

    /// The delivery's rows counted by status.
    func sendingCounts(deliveryID: String) async throws -> SendingCounts

    /// A page of the ledger by sequence, only `statuses` (all when `nil`), after the
    /// decimal sequence cursor `after`.
    func listLedger(
        deliveryID: String, statuses: Set<PreparedMessage.Status>?, after: String?, limit: Int
    ) async throws -> Page<LedgerEntry>
}

extension SendingStore {
    /// Never applies anything: the store commits only asynchronously.
    public func applyLedgerUpdatesIfIdle(_ updates: [LedgerUpdate], deliveryID: String) throws -> Bool { false }
}
