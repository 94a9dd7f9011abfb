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
        let domain = recipient[recipient.index(after: at)...]
        // Already lower case (the usual case): no second pass to build the lowered copy.
        guard domain.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) || !domain.utf8.allSatisfy({ $0 < 128 }) else {
            return String(domain)
        }
        return domain.lowercased()
    }
}
