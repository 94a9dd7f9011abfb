extension CaptureRelay {
    /// Where the capture relay listens, where it stores messages and how it behaves.
    public struct Configuration: Sendable {
        /// The address to listen on; loopback by default.
        public var host: String
        /// The port; 0 picks a free one (see ``CaptureRelay/port``).
        public var port: Int
        /// The folder that receives one `.eml` file per message (created if missing).
        public var directory: String
        /// The name in the greeting and the EHLO reply.
        public var hostname: String
        /// Whether EHLO offers PIPELINING (turn off to test clients without it).
        public var advertisesPipelining: Bool
        /// The `SIZE` limit offered and enforced, in bytes.
        public var maxMessageSize: Int
        /// Replies to give to chosen recipients at RCPT instead of accepting them, by
        /// address (compared without case).
        public var recipientResponses: [String: Response]
        /// Close each connection after it delivered this many messages (tests of
        /// reconnection); `nil` keeps connections open.
        public var closeAfterMessages: Int?

        /// A configuration that accepts everything on 127.0.0.1, port 0.
        public init(
            directory: String,
            host: String = "127.0.0.1",
            port: Int = 0,
            hostname: String = "herald-capture",
            advertisesPipelining: Bool = true,
            maxMessageSize: Int = 10 * 1024 * 1024,
            recipientResponses: [String: Response] = [:],
            closeAfterMessages: Int? = nil
        ) {
            self.directory = directory
            self.host = host
            self.port = port
            self.hostname = hostname
            self.advertisesPipelining = advertisesPipelining
            self.maxMessageSize = maxMessageSize
            self.recipientResponses = recipientResponses
            self.closeAfterMessages = closeAfterMessages
        }
    }

    /// How the relay answers a chosen recipient.
    public enum Response: Hashable, Sendable {
        /// This reply line, for example `(550, "5.1.1 no such user")` or `(450, "4.2.0 try later")`.
        case reply(code: Int, text: String)
        /// A line that is not SMTP.
        case garbage
        /// Closing the connection without a reply.
        case disconnect
    }

    /// What the relay has seen since it started.
    public struct Statistics: Hashable, Sendable {
        /// Connections accepted.
        public var connections = 0
        /// Messages stored.
        public var messages = 0
        /// Transactions whose MAIL, RCPT and DATA arrived in one read (pipelined).
        public var pipelinedTransactions = 0
        /// Commands received (all verbs, all connections).
        public var commands = 0
        /// MAIL commands that arrived before the relay answered the previous message's
        /// data: the client sent the next envelope with that data (RFC 2920 overlap).
        public var envelopesBeforeReply = 0

        /// Empty statistics.
        public init() {}
    }
}
