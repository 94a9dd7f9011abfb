public import struct Foundation.Date

/// One email to render as an RFC 5322 message: see ``rendered()``.
///
/// The result is `multipart/alternative` with a `text/plain` and a `text/html` part; when
/// ``textBody`` is `nil` the text part is derived from the HTML (tags stripped, entities
/// decoded, link URLs kept in brackets, whitespace collapsed).
public struct MailMessage: Hashable, Sendable {
    /// The `From` mailbox.
    public var from: MailAddress
    /// The `To` mailbox (one recipient per message).
    public var to: MailAddress
    /// The `Reply-To` mailbox, if any.
    public var replyTo: MailAddress?
    /// The subject, any Unicode text.
    public var subject: String
    /// The HTML body.
    public var htmlBody: String
    /// The plain-text body; derived from ``htmlBody`` when `nil`.
    public var textBody: String?
    /// The `Message-ID`, usually ``MessageID/stable(deliveryID:recipientID:domain:)``.
    public var messageID: MessageID
    /// The `Date` header's time.
    public var date: Date
    /// `List-Unsubscribe` targets, if any.
    public var listUnsubscribe: ListUnsubscribe?
    /// Extra header fields, written after the standard ones in this order.
    public var extraHeaders: [MailHeader]

    /// Creates a message.
    public init(
        from: MailAddress,
        to: MailAddress,
        replyTo: MailAddress? = nil,
        subject: String,
        htmlBody: String,
        textBody: String? = nil,
        messageID: MessageID,
        date: Date,
        listUnsubscribe: ListUnsubscribe? = nil,
        extraHeaders: [MailHeader] = []
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.htmlBody = htmlBody
        self.textBody = textBody
        self.messageID = messageID
        self.date = date
        self.listUnsubscribe = listUnsubscribe
        self.extraHeaders = extraHeaders
    }
}
