/// A ``MailSession`` that can carry a sending lane's steady state on its own thread (an
/// SMTP session's event loop): while the relay accepts each message and the lane has the
/// next one at once, the lane's work between two messages (the commit of the accepted
/// one, taking and composing the next one) runs in callbacks on that thread, with no
/// hop onto the lane's task and back per message.
public protocol ChainingMailSession: MailSession {
    /// ``MailSession/finish(thenBegin:)`` with `next`, then as long as the finished
    /// message is accepted and `next` is begun: `advance` is called on the session's
    /// thread with the accepted reply text and calls back (there or on any thread) with
    /// the message to begin after `next`, or `nil`; the begun message is finished with
    /// it in the same way. `advance` records the accepted message's outcome before it
    /// calls back: at most one message of the session is accepted and not recorded.
    ///
    /// Returns ``MailChainEnd/finished(outcome:next:)`` for the last exchange when it
    /// was not the steady state (what ``MailSession/finish(thenBegin:)`` would have
    /// returned for it), or ``MailChainEnd/handedBack(declined:)`` when `advance` ended
    /// the chain (the message begun last is begun).
    mutating func chain(
        thenBegin next: OutgoingMail,
        advance: @escaping @Sendable (_ acceptedReply: String, _ then: @escaping @Sendable (OutgoingMail?) -> Void) -> Void
    ) async -> MailChainEnd

    /// Runs `body` on the session's thread soon, after the replies it handles now (a
    /// commit of the accepted messages of one wake-up of that thread, as one group).
    func schedule(_ body: @escaping @Sendable () -> Void)
}
