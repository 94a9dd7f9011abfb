/// Why a message was not accepted, mapped from the relay's reply or the connection.
///
/// The names follow the ledger's `FailureReason` (API.md, Sending); the sending engine
/// maps ``deferred`` to `TRANSIENT_EXHAUSTED` when a message's retries run out, and
/// quarantines addresses on the hard reasons (``isHard``).
public enum FailureReason: String, Hashable, Sendable, CaseIterable {
    /// The mailbox does not exist (`550 5.1.1`).
    case userUnknown
    /// The domain does not exist or cannot take mail (`5.1.2`, `5.1.10`, `5.4.4`).
    case invalidDomain
    /// The mailbox is full (`552`, `5.2.2`, `452 4.2.2`).
    case mailboxFull
    /// Refused by policy (`554`, `5.7.x`), or a sender refused.
    case refused
    /// The content was refused (`5.6.x`, too large: `5.3.4`, `5.2.3`).
    case rejectedContent
    /// The relay could not be reached, closed the connection or did not answer in time.
    case unreachable
    /// The relay answered with something that is not SMTP.
    case protocolError
    /// A temporary failure (4xx) without a more precise reason.
    case deferred

    /// Whether this reason means the address itself is bad (quarantine it).
    public var isHard: Bool { self == .userUnknown || self == .invalidDomain }
}
