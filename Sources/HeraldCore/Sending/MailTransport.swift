/// Hands messages to SMTP relays (the role HeraldMail's pool plays; tests may fake it).
public protocol MailTransport: Sendable {
    /// Sends one message and reports what the relay said; never throws: a connection
    /// problem is a transient outcome.
    func send(_ message: OutgoingMail) async -> SendOutcome
}
