/// A failure of an SMTP connection (not a reply: replies are values).
struct SMTPError: Error, Hashable, CustomStringConvertible {
    /// What went wrong.
    struct Code: Hashable, Sendable {
        let name: String
        static let connectionFailed = Code(name: "connection failed")
        static let connectionClosed = Code(name: "connection closed")
        static let timeout = Code(name: "timeout")
        static let protocolError = Code(name: "protocol error")
        static let unexpectedReply = Code(name: "unexpected reply")
        static let shutdown = Code(name: "pool shut down")
        /// The relay refused the credentials (or AUTH could not be done safely).
        static let authenticationFailed = Code(name: "authentication failed")
        /// STARTTLS is required and the relay does not offer it, refuses it, or its
        /// certificate does not verify.
        static let tlsFailed = Code(name: "TLS failed")
    }

    var code: Code
    var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { "\(code.name): \(message)" }

    /// The transient outcome that this failure means for a message.
    var outcome: DeliveryOutcome {
        switch code {
        case .authenticationFailed, .tlsFailed:
            // Configuration problems: retrying would only repeat them.
            .permanent(.refused, detail: description)
        case .protocolError:
            .transient(.protocolError, detail: description)
        default:
            .transient(.unreachable, detail: description)
        }
    }
}
