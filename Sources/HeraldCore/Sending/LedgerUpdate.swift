/// One change of a ledger row recorded by sending; a batch of them is committed at once
/// (``SendingStore/applyLedgerUpdates(_:deliveryID:)``).
public enum LedgerUpdate: Hashable, Sendable {
    /// The relay accepted the message: PENDING → SENT.
    case sent(sequence: Int, attempts: Int, reply: String, time: Timestamp)
    /// The message failed for good: PENDING → FAILED.
    case failed(sequence: Int, reason: MessageFailureReason, attempts: Int, reply: String, time: Timestamp)
    /// A temporary failure: the row stays PENDING until `nextAttempt`.
    case retry(sequence: Int, attempts: Int, reply: String, time: Timestamp, nextAttempt: Timestamp)

    /// The row's sequence.
    public var sequence: Int {
        switch self {
        case .sent(let sequence, _, _, _), .failed(let sequence, _, _, _, _), .retry(let sequence, _, _, _, _): sequence
        }
    }
}
