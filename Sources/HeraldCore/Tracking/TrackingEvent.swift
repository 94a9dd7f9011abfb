/// One thing a recipient (or a bounce processor) reported about one message: what the
/// tracking endpoint and `TrackingService.RecordEvents` hand to the recorder.
public struct TrackingEvent: Hashable, Sendable {
    /// What happened.
    public enum Kind: Hashable, Sendable {
        /// The open pixel was fetched. `machine` is true when the open already looks
        /// automatic to the caller (a privacy proxy's user agent, or the reporter said
        /// so); the store also counts an open within the machine-open window after the
        /// send as a machine open.
        case open(userAgent: String, machine: Bool)
        /// A tracked link was followed (`linkIndex`: its click index, when known).
        case click(linkIndex: Int?, url: String, userAgent: String)
        /// The message bounced after the relay accepted it. A hard bounce moves a SENT
        /// ledger row to FAILED with `reason` and quarantines the address.
        case bounce(hard: Bool, reason: MessageFailureReason, diagnostic: String)
        /// The recipient unsubscribed (`method`: e.g. `link`, `one-click`): the profile
        /// becomes UNSUBSCRIBED unless it is DENYLISTED.
        case unsubscribe(method: String)
        /// The recipient reported the message as spam.
        case complaint(feedbackType: String)

        /// The kind's name as stored: `open`, `click`, `bounce`, `unsubscribe`, `complaint`.
        public var name: String {
            switch self {
            case .open: "open"
            case .click: "click"
            case .bounce: "bounce"
            case .unsubscribe: "unsubscribe"
            case .complaint: "complaint"
            }
        }
    }

    /// The delivery of the message.
    public var deliveryID: String
    /// The message's sequence number in the delivery (``PreparedMessage/sequence``).
    public var sequence: Int
    /// When it happened.
    public var time: Timestamp
    /// What happened.
    public var kind: Kind

    /// Creates an event.
    public init(deliveryID: String, sequence: Int, time: Timestamp, kind: Kind) {
        self.deliveryID = deliveryID
        self.sequence = sequence
        self.time = time
        self.kind = kind
    }

    /// The delivery id and sequence of a tracking id (`<delivery id>.<sequence>`, see
    /// ``PreparedMessage/trackingID(deliveryID:sequence:)``), or nil when it has not that shape.
    public static func parseTrackingID(_ trackingID: String) -> (deliveryID: String, sequence: Int)? {
        guard let dot = trackingID.utf8.lastIndex(of: UInt8(ascii: ".")) else { return nil }
        let deliveryID = String(trackingID[..<dot])
        let digits = trackingID[trackingID.index(after: dot)...]
        guard !deliveryID.isEmpty, !digits.isEmpty, digits.utf8.count <= 18,
              digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let sequence = Int(digits)
        else { return nil }
        return (deliveryID, sequence)
    }
}
