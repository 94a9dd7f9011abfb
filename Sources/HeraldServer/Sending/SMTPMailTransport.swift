import HeraldCore
import HeraldMail

/// HeraldCore's ``MailTransport`` over HeraldMail's `SMTPPool`: replies mapped to the
/// ledger's failure reasons.
struct SMTPMailTransport: MailTransport {
    let pool: SMTPPool

    func send(_ message: OutgoingMail) async -> SendOutcome {
        let outcome = await pool.send(OutgoingMessage(sender: message.sender, recipient: message.recipient, data: message.data))
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
