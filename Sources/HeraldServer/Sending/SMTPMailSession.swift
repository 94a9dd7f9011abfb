import HeraldCore
import HeraldMail

/// HeraldCore's ``MailSession`` over a lease on one of the `SMTPPool`'s sessions; its
/// chains run on the SMTP sessions' event loop (``ChainingMailSession``).
struct SMTPMailSession: ChainingMailSession {
    var lease: SMTPLease

    mutating func begin(_ mail: OutgoingMail) async -> MailBeginning {
        Self.beginning(await lease.begin(OutgoingMessage(mail)))
    }

    mutating func finish(thenBegin next: OutgoingMail?) async -> (outcome: SendOutcome, next: MailBeginning?) {
        let (outcome, beginning) = await lease.finish(thenBegin: next.map(OutgoingMessage.init))
        return (SMTPMailTransport.outcome(outcome), beginning.map(Self.beginning))
    }

    mutating func chain(
        thenBegin next: OutgoingMail,
        advance: @escaping @Sendable (_ acceptedReply: String, _ then: @escaping @Sendable (OutgoingMail?) -> Void) -> Void
    ) async -> MailChainEnd {
        let end = await lease.chain(thenBegin: OutgoingMessage(next)) { accepted, then in
            advance(accepted.description) { following in then(following.map(OutgoingMessage.init)) }
        }
        switch end {
        case .finished(let outcome, let beginning):
            return .finished(outcome: SMTPMailTransport.outcome(outcome), next: beginning.map(Self.beginning))
        case .handedBack(let declined):
            return .handedBack(declined: declined != nil)
        }
    }

    func schedule(_ body: @escaping @Sendable () -> Void) {
        SMTPLease.schedule(body)
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
