/// How many of a delivery's ledger rows are in each status; they add up to `to_deliver`.
public struct SendingCounts: Hashable, Sendable {
    /// Rows not handled yet (or waiting for a retry).
    public var pending: Int
    /// Rows accepted by a relay.
    public var sent: Int
    /// Rows failed for good.
    public var failed: Int
    /// Rows cancelled.
    public var cancelled: Int

    /// Creates counts.
    public init(pending: Int = 0, sent: Int = 0, failed: Int = 0, cancelled: Int = 0) {
        self.pending = pending
        self.sent = sent
        self.failed = failed
        self.cancelled = cancelled
    }

    /// Every row.
    public var total: Int { pending + sent + failed + cancelled }
}
