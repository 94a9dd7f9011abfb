/// A ``MailTransport`` whose sending lanes can each keep a relay session and overlap
/// messages on it (RFC 2920 pipelining): the engine uses ``makeSession()`` when the
/// transport offers it, and ``MailTransport/send(_:)`` otherwise.
public protocol SessionMailTransport: MailTransport {
    /// A session for one sending lane; it connects with its first message.
    func makeSession() -> any MailSession
}
