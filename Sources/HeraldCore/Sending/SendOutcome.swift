/// What a ``MailTransport`` reports for one message.
public enum SendOutcome: Hashable, Sendable {
    /// The relay accepted the message; the reply text.
    case sent(reply: String)
    /// A temporary failure (4xx, connection problem): retry later.
    case transient(MessageFailureReason, reply: String)
    /// A permanent failure (5xx): do not retry.
    case permanent(MessageFailureReason, reply: String)
}
