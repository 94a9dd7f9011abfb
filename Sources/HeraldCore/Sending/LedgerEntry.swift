/// One row of a delivery's message ledger with what sending recorded about it.
public struct LedgerEntry: Hashable, Sendable {
    /// The row as the preparation wrote it, with its current status.
    public var message: PreparedMessage
    /// Why it failed; `nil` unless FAILED.
    public var failureReason: MessageFailureReason?
    /// The relay's last reply, e.g. `550 5.1.1 User unknown`; empty before any attempt.
    public var replyText: String
    /// SMTP attempts so far.
    public var attempts: Int
    /// When the last attempt was made.
    public var lastAttemptTime: Timestamp?
    /// When the next retry is due (a PENDING row after a 4xx).
    public var nextAttemptTime: Timestamp?
    /// When the relay accepted it.
    public var sentTime: Timestamp?

    /// Creates an entry.
    public init(
        message: PreparedMessage, failureReason: MessageFailureReason? = nil, replyText: String = "", attempts: Int = 0,
        lastAttemptTime: Timestamp? = nil, nextAttemptTime: Timestamp? = nil, sentTime: Timestamp? = nil
    ) {
        self.message = message
        self.failureReason = failureReason
        self.replyText = replyText
        self.attempts = attempts
        self.lastAttemptTime = lastAttemptTime
        self.nextAttemptTime = nextAttemptTime
        self.sentTime = sentTime
    }
}
