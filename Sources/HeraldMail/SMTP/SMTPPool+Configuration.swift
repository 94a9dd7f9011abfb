extension SMTPPool {
    /// How the pool connects and how many sessions it keeps.
    public struct Configuration: Sendable {
        /// The relays, used in turn for new sessions (the next one when one is down).
        public var relays: [SMTPRelay]
        /// The most sessions open at once, over all relays.
        public var maxSessions: Int
        /// The most messages in flight at once to one recipient domain.
        public var maxSessionsPerDomain: Int
        /// The name given in EHLO/HELO.
        public var heloName: String
        /// Credentials for AUTH PLAIN (or LOGIN when the relay offers only that).
        public var credentials: Credentials?
        /// Whether sessions upgrade with STARTTLS.
        public var startTLS: StartTLS
        /// A PEM file of trust roots for the relay's certificate (a private relay);
        /// the system's roots when `nil`.
        public var trustRootsFile: String?
        /// Whether AUTH may be sent without TLS to a loopback relay (127.0.0.0/8, ::1,
        /// localhost). Credentials never go in clear text to any other address: such a
        /// session fails before AUTH.
        public var allowsPlaintextAuthOnLoopback: Bool
        /// Whether to pipeline MAIL, RCPT and DATA when the relay offers PIPELINING.
        public var usesPipelining: Bool
        /// The time limits of each step.
        public var timeouts: Timeouts

        /// A configuration with the defaults for everything but the relays.
        public init(
            relays: [SMTPRelay],
            maxSessions: Int = 8,
            maxSessionsPerDomain: Int = 4,
            heloName: String = "localhost",
            credentials: Credentials? = nil,
            startTLS: StartTLS = .off,
            trustRootsFile: String? = nil,
            allowsPlaintextAuthOnLoopback: Bool = false,
            usesPipelining: Bool = true,
            timeouts: Timeouts = .defaults
        ) {
            self.relays = relays
            self.maxSessions = max(1, maxSessions)
            self.maxSessionsPerDomain = max(1, maxSessionsPerDomain)
            self.heloName = heloName
            self.credentials = credentials
            self.startTLS = startTLS
            self.trustRootsFile = trustRootsFile
            self.allowsPlaintextAuthOnLoopback = allowsPlaintextAuthOnLoopback
            self.usesPipelining = usesPipelining
            self.timeouts = timeouts
        }
    }

    /// Whether and how sessions upgrade with STARTTLS (RFC 3207).
    public enum StartTLS: String, Hashable, Sendable, CaseIterable {
        /// Never: plain text.
        case off
        /// When the relay offers STARTTLS (the certificate is still verified); plain
        /// text when it does not.
        case opportunistic
        /// Always: a relay that does not offer STARTTLS, or whose certificate does not
        /// verify, fails the session (and its messages, with a clear reason).
        case required
    }

    /// A user name and password for SMTP AUTH.
    public struct Credentials: Hashable, Sendable, CustomStringConvertible {
        /// The user name.
        public var username: String
        /// The password.
        public var password: String

        /// The user name only: the password is never printed or logged.
        public var description: String { "\(username) (password hidden)" }

        /// Creates credentials.
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    /// Time limits: a step that takes longer closes the session and the message's
    /// outcome is transient (``FailureReason/unreachable``).
    public struct Timeouts: Hashable, Sendable {
        /// Establishing the TCP connection.
        public var connect: Duration
        /// The server's 220 greeting.
        public var greeting: Duration
        /// The reply to each command (EHLO, AUTH, MAIL, RCPT, DATA, RSET).
        public var command: Duration
        /// The reply after the message data.
        public var data: Duration

        /// Creates time limits.
        public init(connect: Duration, greeting: Duration, command: Duration, data: Duration) {
            self.connect = connect
            self.greeting = greeting
            self.command = command
            self.data = data
        }

        /// 10 s to connect, 30 s for the greeting, 60 s per command, 120 s after the data.
        public static var defaults: Timeouts {
            Timeouts(connect: .seconds(10), greeting: .seconds(30), command: .seconds(60), data: .seconds(120))
        }
    }
}
