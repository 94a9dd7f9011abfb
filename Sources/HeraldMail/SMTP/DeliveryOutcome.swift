/// What became of one message handed to ``SMTPPool/send(_:)``.
public enum DeliveryOutcome: Hashable, Sendable {
    /// The relay accepted the message (2xx after the data).
    case sent(SMTPReply)
    /// A temporary failure (4xx, connection lost, timeout): retry later, with backoff.
    case transient(FailureReason, detail: String)
    /// A permanent failure (5xx): do not retry.
    case permanent(FailureReason, detail: String)

    /// The reason of a failure, `nil` when sent.
    public var failureReason: FailureReason? {
        switch self {
        case .sent: nil
        case .transient(let reason, _), .permanent(let reason, _): reason
        }
    }

    /// The outcome that a final (non-2xx or 2xx) reply means.
    public init(reply: SMTPReply) {
        if reply.isPositive {
            self = .sent(reply)
        } else if reply.isPermanent {
            self = .permanent(FailureReason(permanentReply: reply), detail: reply.description)
        } else {
            self = .transient(FailureReason(transientReply: reply), detail: reply.description)
        }
    }
}
