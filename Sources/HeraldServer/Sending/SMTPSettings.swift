/// How heraldd talks to its SMTP relays (the `--smtp-*` flags).
public struct SMTPSettings: Sendable {
    /// Whether and how the client upgrades a session with STARTTLS.
    public enum StartTLS: String, Sendable, CaseIterable {
        /// Never (plain text).
        case off
        /// When the relay offers STARTTLS; plain text otherwise.
        case opportunistic
        /// Always: a relay that does not offer it, or a failed handshake, fails the session.
        case required
    }

    /// SMTP sessions open at once over all relays (also the sending engine's bound on
    /// messages in flight per delivery).
    public var maxSessions: Int
    /// Messages in flight at once to one recipient domain.
    public var maxPerDomain: Int
    /// STARTTLS policy.
    public var startTLS: StartTLS
    /// PEM file of trust roots for the relay's certificate (a private relay); the
    /// system's roots when `nil`.
    public var caFile: String?
    /// The AUTH user name; no AUTH when `nil`.
    public var username: String?
    /// The AUTH password (never logged).
    public var password: String?
    /// Whether AUTH may be sent without TLS to a loopback relay (tests, a local
    /// submission agent); AUTH is never sent in clear text to any other address.
    public var allowsPlaintextAuthOnLoopback: Bool

    /// 8 sessions, 4 per domain, no STARTTLS, no AUTH.
    public static var defaults: SMTPSettings {
        SMTPSettings(
            maxSessions: 8, maxPerDomain: 4, startTLS: .off, caFile: nil, username: nil, password: nil,
            allowsPlaintextAuthOnLoopback: false
        )
    }

    /// Creates settings.
    public init(
        maxSessions: Int, maxPerDomain: Int, startTLS: StartTLS, caFile: String?, username: String?, password: String?,
        allowsPlaintextAuthOnLoopback: Bool
    ) {
        self.maxSessions = max(1, maxSessions)
        self.maxPerDomain = max(1, maxPerDomain)
        self.startTLS = startTLS
        self.caFile = caFile
        self.username = username
        self.password = password
        self.allowsPlaintextAuthOnLoopback = allowsPlaintextAuthOnLoopback
    }
}
