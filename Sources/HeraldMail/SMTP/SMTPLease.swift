import Synchronization

/// One session of an ``SMTPPool`` kept by a sender that sends message after message (a
/// sending lane), with a two-phase send when the relay offers PIPELINING (RFC 2920):
/// ``begin(_:)`` sends a message's envelope and DATA and holds its data after the 354;
/// ``finish(thenBegin:)`` sends the held data and ".", and in the same write the next
/// message's envelope and DATA. The caller records the finished message's outcome while
/// the next one waits, and finishes the next one only then: at most one message per
/// session is accepted by the relay and not yet recorded.
///
/// The session counts against ``SMTPPool/Configuration/maxSessions`` while the lease
/// holds it, and each message against ``SMTPPool/Configuration/maxSessionsPerDomain``
/// from its begin to its outcome. The lease gives its session back when others wait for
/// one (instead of chaining the next message), and in ``end()``.
///
/// ``chain(thenBegin:advance:)`` is ``finish(thenBegin:)`` carried on by the sessions'
/// event loop: while the relay accepts and the sender has its next message at once, the
/// sender's work between two messages runs in a callback on the loop (no hop onto the
/// sender's task and back per message).
///
/// Without PIPELINING (or when the pool is configured not to pipeline), ``begin(_:)``
/// sends the whole message at once and returns its outcome: nothing is ever begun.
///
/// A value type used by one task at a time: its methods are `mutating`.
public struct SMTPLease: Sendable {
    /// What ``begin(_:)`` did with a message.
    public enum Beginning: Hashable, Sendable {
        /// The relay answered DATA with 354 and waits for the data: call
        /// ``SMTPLease/finish(thenBegin:)`` or ``SMTPLease/abandon()``.
        case begun
        /// The message is done (sent at once without PIPELINING, refused, or the relay
        /// could not be reached).
        case done(DeliveryOutcome)
    }

    private let pool: SMTPPool
    /// The session in use; `nil` while the lease holds only the slot (the session
    /// closed, a new one is opened for the next message) or nothing.
    private var session: SMTPSession?
    /// Whether the lease counts as one of the pool's open sessions.
    private var holdsSlot = false
    /// The begun message: its held data and its domain (counted in flight).
    private var begun: (message: SMTPSession.Begun, domain: String)?

    init(pool: SMTPPool) {
        self.pool = pool
    }

    /// Whether a message is begun and waits for ``finish(thenBegin:)``.
    public var hasBegun: Bool { begun != nil }

    /// Starts a message: with PIPELINING, sends MAIL, RCPT and DATA and returns ``Beginning/begun``
    /// after the relay's 354 (nothing is delivered until ``finish(thenBegin:)``); without,
    /// sends the message at once. Waits for a session and for the domain's bound as
    /// ``SMTPPool/send(_:)`` does. Call only when nothing is begun.
    public mutating func begin(_ message: OutgoingMessage) async -> Beginning {
        guard begun == nil else {
            return .done(.transient(.protocolError, detail: "a message is already begun on this session"))
        }
        let domain = message.recipientDomain
        if holdsSlot, session?.isActive ?? true, pool.reserveOnSession(domain: domain, chained: false) {
            return await start(message, domain: domain, retried: false)
        }
        if holdsSlot {
            pool.release(domain: nil, session: session?.isActive == true ? session : nil)
            session = nil
            holdsSlot = false
        }
        switch await pool.acquire(domain: domain) {
        case .shutDown:
            return .done(SMTPError(.shutdown, "the pool is shut down").outcome)
        case .session(let reused) where reused.isActive:
            session = reused
        case .session(let dead):
            dead.close()
        case .connect:
            break
        }
        holdsSlot = true
        return await start(message, domain: domain, retried: false)
    }

    /// Sends the begun message's data and "."; when `next` is given and the session can
    /// take it now, sends its envelope and DATA in the same write. Returns the begun
    /// message's outcome, and what became of `next`: `nil` when it was not begun (call
    /// ``begin(_:)`` for it after recording the outcome).
    public mutating func finish(thenBegin next: OutgoingMessage?) async -> (outcome: DeliveryOutcome, next: Beginning?) {
        guard let current = begun, let session else {
            return (.transient(.protocolError, detail: "no message is begun on this session"), nil)
        }
        begun = nil
        var chained: (message: OutgoingMessage, domain: String)?
        if let next, session.isActive {
            let domain = next.recipientDomain
            if pool.reserveOnSession(domain: domain, chained: true) { chained = (next, domain) }
        }
        let (result, beginning) = await session.finish(current.message, thenBegin: chained?.message)
        return await finished(current.domain, chained, result, beginning)
    }

    /// What ``chain(thenBegin:advance:)`` ended with.
    public enum ChainEnd: Sendable {
        /// The chain ended on an exchange that was not the steady state (or could not
        /// start): the outcome of the message begun before it and what became of the
        /// next one, as ``SMTPLease/finish(thenBegin:)`` returns them.
        case finished(outcome: DeliveryOutcome, next: Beginning?)
        /// The chain ended with `advance` giving no message, or one the session could
        /// not take now (`declined`: begin or finish with it as usual): the last message
        /// chained is begun.
        case handedBack(declined: OutgoingMessage?)
    }

    /// ``finish(thenBegin:)`` driven from the session's event loop while the relay
    /// accepts: each time the begun message is accepted (2xx) and the next one is ready
    /// for its data, `advance` is called on the event loop with the accepted reply and
    /// calls back (there or on any thread) with the message to begin after it, or `nil`;
    /// the begun message's data and that message's envelope then go out in one write,
    /// with no hop onto another thread. The caller records each accepted message's
    /// outcome in `advance` before calling back, so at most one message of the session
    /// is accepted and not recorded, as with ``finish(thenBegin:)``.
    ///
    /// Returns ``ChainEnd/finished(outcome:next:)`` for the message the chain could not
    /// take further (refused, failed, connection lost, not pipelining), and
    /// ``ChainEnd/handedBack(declined:)`` when `advance` ended it: the message it began
    /// last is then begun. `advance` runs on the event loop: keep it short.
    public mutating func chain(
        thenBegin next: OutgoingMessage,
        advance: @escaping @Sendable (_ accepted: SMTPReply, _ then: @escaping @Sendable (OutgoingMessage?) -> Void) -> Void
    ) async -> ChainEnd {
        let domain = next.recipientDomain
        guard let current = begun, let session, session.isActive, pool.reserveOnSession(domain: domain, chained: true) else {
            let (outcome, beginning) = await finish(thenBegin: next)
            return .finished(outcome: outcome, next: beginning)
        }
        begun = nil
        let pool = self.pool
        let declined = DeclinedMessage()
        let end = await session.chain(
            current.message, domain: current.domain, thenBegin: SMTPSession.Chained(message: next, domain: domain)
        ) { accepted, acceptedDomain, _, then in
            _ = pool.releaseDomain(acceptedDomain)
            advance(accepted) { following in
                guard let following else { return then(nil) }
                let followingDomain = following.recipientDomain
                guard session.isActive, pool.reserveOnSession(domain: followingDomain, chained: true) else {
                    declined.message.withLock { $0 = following }
                    return then(nil)
                }
                then(SMTPSession.Chained(message: following, domain: followingDomain))
            }
        }
        switch end {
        case .finished(let result, let beginning, let finishedDomain, let chained):
            let (outcome, nextBeginning) = await finished(finishedDomain, (chained.message, chained.domain), result, beginning)
            return .finished(outcome: outcome, next: nextBeginning)
        case .handedBack(let held, let chained):
            begun = (held, chained.domain)
            return .handedBack(declined: declined.message.withLock { $0 })
        }
    }

    /// Runs `body` on the event loop of the pool's sessions, after what the loop is doing
    /// now (the replies it reads in this wake-up): a chain's sender commits the messages
    /// accepted in one wake-up as one group there.
    public static func schedule(_ body: @escaping @Sendable () -> Void) {
        SMTPSession.eventLoop.execute(body)
    }

    /// The message a chain's `advance` gave and the session could not take.
    private final class DeclinedMessage: Sendable {
        let message = Mutex<OutgoingMessage?>(nil)
    }

    /// After ``SMTPSession/finish(_:thenBegin:)``: the domain counts and the session
    /// given back or kept; the finished message's outcome and what became of the next.
    private mutating func finished(
        _ currentDomain: String, _ chained: (message: OutgoingMessage, domain: String)?,
        _ result: (DeliveryOutcome, SMTPSession.After), _ beginning: SMTPSession.Beginning?
    ) async -> (outcome: DeliveryOutcome, next: Beginning?) {
        let (outcome, after) = result
        if after != .reusable {
            self.session = nil
        }
        guard let chained, let beginning else {
            if let chained { _ = pool.releaseDomain(chained.domain) }
            // Not chained: give the session back if others wait for one.
            if pool.releaseDomain(currentDomain, yielding: self.session) {
                self.session = nil
                holdsSlot = false
            }
            return (outcome, nil)
        }
        _ = pool.releaseDomain(currentDomain)
        switch beginning {
        case .ready(let next):
            begun = (next, chained.domain)
            return (outcome, .begun)
        case .done(let nextOutcome, let nextAfter):
            // The next message failed with the connection the finished one left closed:
            // nothing of it was delivered; it starts again on a new session.
            if after != .reusable || nextAfter == .retryOnNewSession {
                self.session = nil
                _ = pool.releaseDomain(chained.domain)
                return (outcome, nil)
            }
            return (outcome, await settle(nextOutcome, nextAfter, chained.message, domain: chained.domain, retried: true))
        }
    }

    /// Drops the begun message by closing the connection (the relay is in DATA mode:
    /// without the final "." nothing is delivered). Does nothing when nothing is begun.
    public mutating func abandon() async {
        guard let current = begun else { return }
        begun = nil
        session?.close()
        session = nil
        holdsSlot = false
        pool.release(domain: current.domain, session: nil)
    }

    /// Gives the session back to the pool (abandons a begun message first).
    public mutating func end() async {
        if begun != nil {
            await abandon()
            return
        }
        guard holdsSlot else { return }
        pool.release(domain: nil, session: session?.isActive == true ? session : nil)
        session = nil
        holdsSlot = false
    }

    /// Holding a slot and the domain's count: opens a session if needed, then begins
    /// (PIPELINING) or sends the message.
    private mutating func start(_ message: OutgoingMessage, domain: String, retried: Bool) async -> Beginning {
        let current: SMTPSession
        if let session {
            current = session
        } else {
            switch await pool.connect() {
            case .success(let opened):
                current = opened
                session = opened
            case .failure(let error):
                holdsSlot = false
                pool.release(domain: domain, session: nil)
                return .done(error.outcome)
            }
        }
        guard current.pipelines else {
            let (outcome, after) = await current.send(message)
            return await settle(outcome, after, message, domain: domain, retried: retried)
        }
        switch await current.begin(message) {
        case .ready(let held):
            begun = (held, domain)
            return .begun
        case .done(let outcome, let after):
            return await settle(outcome, after, message, domain: domain, retried: retried)
        }
    }

    /// A message done at once: gives back its domain's count; after a dropped
    /// connection that had answered nothing of it, tries once more on a new session.
    private mutating func settle(
        _ outcome: DeliveryOutcome, _ after: SMTPSession.After, _ message: OutgoingMessage, domain: String, retried: Bool
    ) async -> Beginning {
        switch after {
        case .reusable:
            _ = pool.releaseDomain(domain)
        case .retryOnNewSession where !retried:
            session = nil
            return await start(message, domain: domain, retried: true)
        case .closed, .retryOnNewSession:
            session = nil
            _ = pool.releaseDomain(domain)
        }
        return .done(outcome)
    }
}
