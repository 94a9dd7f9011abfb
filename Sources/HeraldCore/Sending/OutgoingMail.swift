/// One message ready for a relay: the envelope and the RFC 5322 bytes.
public struct OutgoingMail: Hashable, Sendable {
    /// The envelope sender (`MAIL FROM`).
    public var sender: String
    /// The envelope recipient (`RCPT TO`).
    public var recipient: String
    /// The whole message, headers and body, CRLF line ends.
    public var data: [UInt8]

    /// Creates a message.
    public init(sender: String, recipient: String, data: [UInt8]) {
        self.sender = sender
        self.recipient = recipient
        self.data = data
    }
}
