/// Builds the RFC 5322 message of one recipient from its rendered content (HeraldMail's
/// MIME writer plays this role in the server).
public protocol MessageComposer: Sendable {
    /// The message for `message`'s recipient: `rendered` is its personalized content,
    /// `unsubscribeURL` its one-click unsubscribe link, `date` the `Date` header's time.
    func compose(
        _ rendered: RenderedMessage, for message: PreparedMessage, of delivery: Delivery, unsubscribeURL: String,
        date: Timestamp
    ) -> OutgoingMail
}
