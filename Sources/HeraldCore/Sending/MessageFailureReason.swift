/// Why a ledger row is FAILED (API.md, "Sending"; `herald.v1.FailureReason`).
public enum MessageFailureReason: String, Hashable, Sendable, Codable, CaseIterable {
    /// The mailbox does not exist (hard: quarantines the address).
    case userUnknown = "USER_UNKNOWN"
    /// The domain does not exist or takes no mail (hard: quarantines the address).
    case invalidDomain = "INVALID_DOMAIN"
    /// The mailbox is full.
    case mailboxFull = "MAILBOX_FULL"
    /// Refused by policy.
    case refused = "REFUSED"
    /// The relay could not be reached.
    case unreachable = "UNREACHABLE"
    /// Not sent before the schedule's `valid_until`.
    case expired = "EXPIRED"
    /// The content was rejected.
    case rejectedContent = "REJECTED_CONTENT"
    /// Temporary failures until the retries ran out.
    case transientExhausted = "TRANSIENT_EXHAUSTED"
    /// The address was quarantined after the preparation.
    case quarantined = "QUARANTINED"
    /// Anything else; see the reply text.
    case other = "OTHER"

    /// Whether the address itself is bad: the sending engine quarantines it.
    public var isHard: Bool { self == .userUnknown || self == .invalidDomain }

    /// Whether it is a soft failure of the address (retries ran out, or the mailbox was
    /// full): enough of them within a window quarantine it (``SendingEngine``).
    public var isSoft: Bool { self == .transientExhausted || self == .mailboxFull }
}
