/// One message for one recipient, as the SMTP pool sends it: the envelope and the
/// RFC 5322 bytes (for example ``MailMessage/rendered()``), not yet dot-stuffed.
public struct OutgoingMessage: Hashable, Sendable {
    /// The envelope sender (`MAIL FROM`), the bounce address; empty for the null sender.
    public var sender: String
    /// The envelope recipient (`RCPT TO`).
    public var recipient: String
    /// The message with CRLF line ends.
    public var data: [UInt8]

    /// Creates a message.
    public init(sender: String, recipient: String, data: [UInt8]) {
        self.sender = sender
        self.recipient = recipient
        self.data = data
    }

    /// The recipient's domain, lowercased: the key of the per-domain session bound.
    public var recipientDomain: String {
        guard let at = recipient.lastIndex(of: "@") else { return "" }
        return recipient[recipient.index(after: at)...].lowercased()
    }
}
