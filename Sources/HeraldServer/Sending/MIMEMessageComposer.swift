import struct Foundation.Date
import HeraldCore
import HeraldMail
import Synchronization

/// HeraldCore's ``MessageComposer`` with HeraldMail's `MailComposer`: multipart/alternative,
/// RFC 2047 headers, the stable `Message-ID` and one-click `List-Unsubscribe`.
///
/// The parts that are the same in every message of a delivery (the `From` and `Reply-To`
/// fields, the delivery's part of the `Message-ID`) are written once per delivery: the
/// composers of the last few deliveries are kept, found by the delivery's id and sender.
struct MIMEMessageComposer: MessageComposer {
    private let composers = Composers()

    func compose(
        _ rendered: RenderedMessage, for message: PreparedMessage, of delivery: Delivery, unsubscribeURL: String,
        date: Timestamp
    ) -> OutgoingMail {
        let prepared = composers.composer(for: delivery)
        let data = prepared.mail.render(
            to: MailAddress(address: message.address),
            subject: rendered.subject,
            htmlBody: rendered.html,
            textBody: rendered.text,
            messageID: prepared.messageIDs.id(recipientID: message.profileID),
            date: Date(timeIntervalSince1970: Double(date.microsecondsSinceEpoch) / 1_000_000),
            listUnsubscribe: ListUnsubscribe(url: unsubscribeURL)
        )
        return OutgoingMail(sender: delivery.content.sender.address, recipient: message.address, data: data)
    }

    /// The stable `Message-ID` of a recipient's message (without angle brackets), the
    /// same in the message and in the ledger.
    static func messageID(deliveryID: String, profileID: String, senderAddress: String) -> MessageID {
        MessageID.stable(deliveryID: deliveryID, recipientID: profileID, domain: domain(ofSender: senderAddress))
    }

    /// The domain of the `Message-ID`s: the last non-empty part between "@"s of the sender
    /// address (without splitting the whole address).
    static func domain(ofSender senderAddress: String) -> String {
        var address = Substring(senderAddress)
        while address.last == "@" { address = address.dropLast() }
        return address.lastIndex(of: "@").map { String(address[address.index(after: $0)...]) } ?? String(address)
    }

    /// What is written once per delivery (a class: each message retains one object).
    final class Prepared: Sendable {
        let deliveryID: String
        let sender: Delivery.Sender
        let replyTo: String
        let mail: MailComposer
        let messageIDs: StableMessageIDs

        init(_ delivery: Delivery) {
            deliveryID = delivery.id
            sender = delivery.content.sender
            replyTo = delivery.content.replyTo
            mail = MailComposer(
                from: MailAddress(name: sender.name.isEmpty ? nil : sender.name, address: sender.address),
                replyTo: replyTo.isEmpty ? nil : MailAddress(address: replyTo)
            )
            messageIDs = StableMessageIDs(deliveryID: delivery.id, domain: MIMEMessageComposer.domain(ofSender: sender.address))
        }

        func matches(_ delivery: Delivery) -> Bool {
            deliveryID == delivery.id && sender == delivery.content.sender && replyTo == delivery.content.replyTo
        }
    }

    /// The composers of the last few deliveries, most recent first.
    final class Composers: Sendable {
        private static let kept = 8
        private let recent = Mutex<[Prepared]>([])

        func composer(for delivery: Delivery) -> Prepared {
            if let found = recent.withLock({ $0.first { $0.matches(delivery) } }) { return found }
            let prepared = Prepared(delivery)
            recent.withLock {
                $0.removeAll { $0.deliveryID == delivery.id }
                $0.insert(prepared, at: 0)
                if $0.count > Self.kept { $0.removeLast($0.count - Self.kept) }
            }
            return prepared
        }
    }
}
