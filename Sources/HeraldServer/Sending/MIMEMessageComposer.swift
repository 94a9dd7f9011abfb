import struct Foundation.Date
import HeraldCore
import HeraldMail

/// HeraldCore's ``MessageComposer`` with HeraldMail's `MailMessage`: multipart/alternative,
/// RFC 2047 headers, the stable `Message-ID` and one-click `List-Unsubscribe`.
struct MIMEMessageComposer: MessageComposer {
    func compose(
        _ rendered: RenderedMessage, for message: PreparedMessage, of delivery: Delivery, unsubscribeURL: String,
        date: Timestamp
    ) -> OutgoingMail {
        let sender = delivery.content.sender
        let mail = MailMessage(
            from: MailAddress(name: sender.name.isEmpty ? nil : sender.name, address: sender.address),
            to: MailAddress(address: message.address),
            replyTo: delivery.content.replyTo.isEmpty ? nil : MailAddress(address: delivery.content.replyTo),
            subject: rendered.subject,
            htmlBody: rendered.html,
            textBody: rendered.text,
            messageID: Self.messageID(deliveryID: delivery.id, profileID: message.profileID, senderAddress: sender.address),
            date: Date(timeIntervalSince1970: Double(date.microsecondsSinceEpoch) / 1_000_000),
            listUnsubscribe: ListUnsubscribe(url: unsubscribeURL)
        )
        return OutgoingMail(sender: sender.address, recipient: message.address, data: mail.rendered())
    }

    /// The stable `Message-ID` of a recipient's message (without angle brackets), the
    /// same in the message and in the ledger.
    static func messageID(deliveryID: String, profileID: String, senderAddress: String) -> MessageID {
        // The last non-empty part between "@"s (without splitting the whole address).
        var address = Substring(senderAddress)
        while address.last == "@" { address = address.dropLast() }
        let domain = address.lastIndex(of: "@").map { String(address[address.index(after: $0)...]) } ?? String(address)
        return MessageID.stable(deliveryID: deliveryID, recipientID: profileID, domain: domain)
    }
}
