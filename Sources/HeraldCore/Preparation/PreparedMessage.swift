/// One row of a delivery's message ledger: a recipient the preparation kept.
///
/// The preparation writes them PENDING; sending moves them on. Bodies are not stored:
/// sending renders each message again from the delivery's content and the profile with
/// ``CompiledMessage/render(_:identity:)``, which gives the same bytes as at preparation
/// (deterministic), so a million recipients cost a few dozen bytes each.
public struct PreparedMessage: Hashable, Sendable, Codable {
    /// The status of a message in the ledger.
    public enum Status: String, Hashable, Sendable, Codable, CaseIterable {
        /// Prepared, not sent yet.
        case pending = "PENDING"
        /// Accepted by a relay.
        case sent = "SENT"
        /// Refused or undeliverable.
        case failed = "FAILED"
        /// Will not be sent (delivery cancelled).
        case cancelled = "CANCELLED"
    }

    /// The delivery.
    public var deliveryID: String
    /// The message's number in the delivery: the position of its profile in the target
    /// (from 1, in profile id order), so numbers have gaps where profiles were excluded.
    public var sequence: Int
    /// The recipient's profile id.
    public var profileID: String
    /// The recipient's address at preparation time.
    public var address: String
    /// The id that tracking tokens, `{{view_id}}` and the `Message-ID` are made from
    /// (``trackingID(deliveryID:sequence:)``).
    public var trackingID: String
    /// The status.
    public var status: Status
    /// When the status last changed (the send time for ``Status/sent``).
    public var statusTime: Timestamp?

    /// Creates a ledger row.
    public init(
        deliveryID: String, sequence: Int, profileID: String, address: String, trackingID: String,
        status: Status = .pending, statusTime: Timestamp? = nil
    ) {
        self.deliveryID = deliveryID
        self.sequence = sequence
        self.profileID = profileID
        self.address = address
        self.trackingID = trackingID
        self.status = status
        self.statusTime = statusTime
    }

    /// The tracking id of message `sequence` of a delivery: `<delivery id>.<sequence>`,
    /// unique across deliveries and stable across renderings.
    public static func trackingID(deliveryID: String, sequence: Int) -> String {
        // Appended rather than interpolated: made for every message of a preparation.
        var id = deliveryID
        id.append(".")
        id.append(String(sequence))
        return id
    }

    /// What rendering needs to know about this message.
    public var identity: MessageIdentity {
        MessageIdentity(trackingID: trackingID)
    }
}
