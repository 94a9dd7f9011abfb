/// How ``ChainingMailSession/chain(thenBegin:advance:)`` ended.
public enum MailChainEnd: Hashable, Sendable {
    /// The last exchange was not the steady state (refused, failed, connection lost): the
    /// outcome of the message finished in it and what became of the message begun with
    /// it, as ``MailSession/finish(thenBegin:)`` returns them. Neither is recorded yet.
    case finished(outcome: SendOutcome, next: MailBeginning?)
    /// `advance` ended the chain: the message given last is begun, except when
    /// `declined`: the session could not take the message `advance` gave last (then the
    /// message given before it is begun, and the declined one is not).
    case handedBack(declined: Bool)
}
