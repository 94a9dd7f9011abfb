import HeraldCore
import HeraldMail

/// HeraldCore's ``MailTransport`` over HeraldMail's `SMTPPool`: replies mapped to the
/// ledger's failure reasons. Each sending lane keeps a session (``SMTPMailSession``).
struct SMTPMailTransport: SessionMailTransport {
    let pool: SMTPPool

    func send(_ message: OutgoingMail) async -> SendOutcome {
        Self.outcome(await pool.send(OutgoingMessage(message)))
    }

    func makeSession() -> any MailSession {
        SMTPMailSession(lease: pool.lease())
    }

    static func outcome(_ outcome: DeliveryOutcome) -> SendOutcome {
        switch outcome {
        case .sent(let reply):
            return .sent(reply: reply.description)
        case .transient(let reason, let detail):
            return .transient(Self.reason(reason), reply: detail)
        case .permanent(let reason, let detail):
            return .permanent(Self.reason(reason), reply: detail)
        }
    }

    static func reason(_ reason: FailureReason) -> MessageFailureReason {
        switch reason {
        case .userUnknown: .userUnknown
        case .invalidDomain: .invalidDomain
        case .mailboxFull: .mailboxFull
        case .refused: .refused
        case .rejectedContent: .rejectedContent
        case .unreachable: .unreachable
        case .protocolError, .deferred: .other
        }
    }
}

extension OutgoingMessage {
    init(_ mail: OutgoingMail) {
        self.init(sender: mail.sender, recipient: mail.recipient, data: mail.data)
    }
}
