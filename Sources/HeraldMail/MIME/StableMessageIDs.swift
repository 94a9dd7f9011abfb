/// ``MessageID/stable(deliveryID:recipientID:domain:)`` for the recipients of one delivery:
/// the delivery's part and the domain are escaped once, only the recipient's part per id.
public struct StableMessageIDs: Hashable, Sendable {
    /// `herald.<delivery>.`
    private let prefix: String
    /// `@<domain>`
    private let suffix: String

    /// The ids of `deliveryID`'s messages, on the right of the `@` `domain`.
    public init(deliveryID: String, domain: String) {
        prefix = "herald." + MessageID.escape(deliveryID, keepDots: false) + "."
        suffix = "@" + (domain.isEmpty ? "herald.invalid" : MessageID.escape(domain, keepDots: true))
    }

    /// The same id as `MessageID.stable(deliveryID:recipientID:domain:)`.
    public func id(recipientID: String) -> MessageID {
        MessageID(unbracketed: prefix + MessageID.escape(recipientID, keepDots: false) + suffix)
    }
}
