import HeraldCore
import HeraldMail

/// HeraldCore's ``MailSession`` over a lease on one of the `SMTPPool`'s sessions.
struct SMTPMailSession: MailSession {
    var lease: SMTPLease

    mutating func begin(_ mail: OutgoingMail) async -> MailBeginning {
        Self.beginning(await lease.begin(OutgoingMessage(mail)))
    }

    mutating func finish(thenBegin next: OutgoingMail?) async -> (outcome: SendOutcome, next: MailBeginning?) {
        let (outcome, beginning) = await lease.finish(thenBegin: next.map(OutgoingMessage.init))
        return (SMTPMailTransport.outcome(outcome), beginning.map(Self.beginning))
    }

    mutating func abandon() async {
        await lease.abandon()
    }

    mutating func end() async {
        await lease.end()
    }

    private static func beginning(_ beginning: SMTPLease.Beginning) -> MailBeginning {
        switch beginning {
        case .begun: .begun
        case .done(let outcome): .done(SMTPMailTransport.outcome(outcome))
        }
    }
}
