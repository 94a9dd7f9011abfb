/// A relay session kept by one sending lane (``SessionMailTransport``): a message is
/// begun (envelope sent, the relay waits for its data) and finished later, with the
/// next message begun in the same exchange. Between a finish and the next one the lane
/// commits the finished message's outcome, so at most one message per session is
/// accepted by the relay and not yet committed (the crash bound).
///
/// Used by one task at a time: its methods are `mutating`.
public protocol MailSession: Sendable {
    /// Starts a message when nothing is begun: ``MailBeginning/begun`` when the relay
    /// waits for its data (nothing delivered yet), or the message's outcome when it was
    /// done at once (sent without pipelining, refused, relay unreachable).
    mutating func begin(_ mail: OutgoingMail) async -> MailBeginning

    /// Sends the begun message's data and, when the session can take it now, begins
    /// `next` in the same exchange. Returns the begun message's outcome and what became
    /// of `next` (`nil`: not begun; begin it after committing the outcome).
    mutating func finish(thenBegin next: OutgoingMail?) async -> (outcome: SendOutcome, next: MailBeginning?)

    /// Drops the begun message without delivering it (closes the connection).
    mutating func abandon() async

    /// Gives the session back (abandons a begun message first).
    mutating func end() async
}
