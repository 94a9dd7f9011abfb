/// What ``MailSession/begin(_:)`` did with a message.
public enum MailBeginning: Hashable, Sendable {
    /// The relay waits for the data: the message is in flight, not delivered.
    case begun
    /// The message is done: its outcome.
    case done(SendOutcome)
}
