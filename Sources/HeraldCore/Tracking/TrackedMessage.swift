/// What the tracking endpoint needs to know about a message of the ledger.
public struct TrackedMessage: Hashable, Sendable {
    /// The delivery.
    public var deliveryID: String
    /// The message's number in the delivery.
    public var sequence: Int
    /// The recipient's profile id.
    public var profileID: String
    /// The recipient's address at preparation time.
    public var address: String
    /// The ledger status.
    public var status: PreparedMessage.Status
    /// When the relay accepted it, if it did.
    public var sentTime: Timestamp?

    /// Creates a description.
    public init(
        deliveryID: String, sequence: Int, profileID: String, address: String, status: PreparedMessage.Status,
        sentTime: Timestamp?
    ) {
        self.deliveryID = deliveryID
        self.sequence = sequence
        self.profileID = profileID
        self.address = address
        self.status = status
        self.sentTime = sentTime
    }
}
