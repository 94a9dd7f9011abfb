public import Logging
import Synchronization

/// A pool of SMTP sessions to one or more relays, shared by every message Herald sends.
///
/// Sessions are opened on demand up to ``Configuration/maxSessions``, kept open and
/// reused message after message (MAIL, RCPT and DATA go in one write when the relay
/// offers PIPELINING), and replaced when the relay drops them; at most
/// ``Configuration/maxSessionsPerDomain`` messages to one recipient domain are in flight
/// at once. A caller over either bound waits (in order) for a session: that wait is the
/// backpressure that paces the sending engine to the relays' speed.
///
/// A sender that sends message after message can instead keep one session with a
/// ``lease()`` (``SMTPLease``): each message still counts against the per-domain bound,
/// and with PIPELINING the next message's envelope goes out with the previous one's
/// data (RFC 2920), its data only when the caller finishes it.
///
/// Why swift-nio rather than libcurl: libcurl's SMTP support sends one message per
/// transfer over a connection cache, without PIPELINING, and drives its sockets from a
/// blocking or multi-handle loop that would need a thread and C callbacks of its own.
/// With swift-nio the sessions are persistent, pipelined, event-driven connections on
/// a shared event loop, every step has its own timeout, replies are parsed as they
/// arrive, and `async` callers suspend instead of blocking threads: no
/// per-message connection, no per-session thread, and flow control comes from awaiting
/// each reply.
public actor SMTPPool {
    /// What ``acquire(domain:)`` grants: an idle session, the right to open one, or nothing.
    enum Lease {
        case session(SMTPSession)
        case connect
        case shutDown
    }

    private struct Waiter {
        var domain: String
        var continuation: CheckedContinuation<Lease, Never>
    }

    /// The bookkeeping, behind a lock rather than the actor: a lane's per-message
    /// calls (``reserveOnSession(domain:chained:)``, ``releaseDomain(_:yielding:)``) are
    /// then plain calls on its own thread, not two hops onto the actor and back per
    /// message. No I/O and no continuation is resumed under the lock.
    private struct State {
        var idle: [SMTPSession] = []
        var openSessions = 0
        var inFlightByDomain: [String: Int] = [:]
        var waiters: [Waiter] = []
        var nextRelay = 0
        var isShutDown = false
        var sessionsOpened = 0
        var messagesChained = 0
    }

    /// Waiters granted a lease under the lock, resumed after it.
    private typealias Granted = [(CheckedContinuation<Lease, Never>, Lease)]

    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())

    /// Creates a pool; no connection is made until the first message.
    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Sends one message and tells what became of it. Never throws: connection
    /// failures, timeouts and garbage replies are transient outcomes, refusals are
    /// transient (4xx) or permanent (5xx) with a ``FailureReason``.
    public nonisolated func send(_ message: OutgoingMessage) async -> DeliveryOutcome {
        let domain = message.recipientDomain
        var lease = await acquire(domain: domain)
        var retried = false
        while true {
            let session: SMTPSession
            switch lease {
            case .shutDown:
                return SMTPError(.shutdown, "the pool is shut down").outcome
            case .session(let reused) where reused.isActive:
                session = reused
            case .session(let dead):
                dead.close()
                fallthrough
            case .connect:
                switch await connect() {
                case .success(let opened):
                    session = opened
                case .failure(let error):
                    release(domain: domain, session: nil)
                    return error.outcome
                }
            }
            let (outcome, after) = await session.send(message)
            switch after {
            case .reusable:
                release(domain: domain, session: session)
                return outcome
            case .closed:
                release(domain: domain, session: nil)
                return outcome
            case .retryOnNewSession where !retried:
                logger.debug("SMTP session dropped by the relay; reconnecting", metadata: ["herald.smtp.relay": "\(session.relay)"])
                retried = true
                lease = .connect
            case .retryOnNewSession:
                release(domain: domain, session: nil)
                return outcome
            }
        }
    }

    /// Says QUIT on the idle sessions and closes them; sessions in use close when their
    /// message is done. Later sends fail at once (transient, ``FailureReason/unreachable``).
    public func shutdown() async {
        let (waiters, sessions) = state.withLock { s -> ([Waiter], [SMTPSession]) in
            s.isShutDown = true
            let waiters = s.waiters
            s.waiters.removeAll()
            let sessions = s.idle
            s.idle.removeAll()
            s.openSessions -= sessions.count
            return (waiters, sessions)
        }
        for waiter in waiters { waiter.continuation.resume(returning: .shutDown) }
        await withTaskGroup(of: Void.self) { group in
            for session in sessions { group.addTask { await session.quit() } }
        }
    }

    /// How many SMTP sessions the pool has opened since it was created (reconnections
    /// included): a measure of reuse.
    public var openedSessionCount: Int { state.withLock { $0.sessionsOpened } }

    /// How many messages went out on an ``SMTPLease``'s session with the previous
    /// message's data (RFC 2920 overlap): a measure of the overlap in use.
    public var chainedMessageCount: Int { state.withLock { $0.messagesChained } }

    /// Whether some sender waits for a session or for its domain's bound.
    var hasWaiters: Bool { state.withLock { !$0.waiters.isEmpty } }

    /// A lease on one session for a sender that sends message after message (a sending
    /// lane): no session is taken until its first message.
    public nonisolated func lease() -> SMTPLease {
        SMTPLease(pool: self)
    }

    // MARK: - Bookkeeping (under the lock, no I/O)

    nonisolated func acquire(domain: String) async -> Lease {
        await withCheckedContinuation { continuation in
            let lease = state.withLock { s -> Lease? in
                if s.isShutDown { return .shutDown }
                if let lease = grant(domain: domain, &s) { return lease }
                s.waiters.append(Waiter(domain: domain, continuation: continuation))
                return nil
            }
            if let lease { continuation.resume(returning: lease) }
        }
    }

    /// A lease when both bounds allow one now.
    private nonisolated func grant(domain: String, _ s: inout State) -> Lease? {
        guard s.inFlightByDomain[domain, default: 0] < configuration.maxSessionsPerDomain else { return nil }
        if let session = s.idle.popLast() {
            s.inFlightByDomain[domain, default: 0] += 1
            return .session(session)
        }
        guard s.openSessions < configuration.maxSessions else { return nil }
        s.openSessions += 1
        s.inFlightByDomain[domain, default: 0] += 1
        return .connect
    }

    /// For a lease that keeps its session: counts one more message in flight to `domain`
    /// when the bound allows it now and nobody waits for a session (the lease gives its
    /// session back instead, see ``releaseDomain(_:yielding:)``). `chained`: the message
    /// goes out with the previous one's data (counted in ``chainedMessageCount``).
    nonisolated func reserveOnSession(domain: String, chained: Bool) -> Bool {
        state.withLock { s in
            guard !s.isShutDown, s.waiters.isEmpty,
                s.inFlightByDomain[domain, default: 0] < configuration.maxSessionsPerDomain
            else {
                return false
            }
            s.inFlightByDomain[domain, default: 0] += 1
            if chained { s.messagesChained += 1 }
            return true
        }
    }

    /// A lease's message to `domain` is done. When others wait for a session and the
    /// lease offers its own (`yielding`), the session goes back to the pool (then `true`:
    /// the lease no longer holds it).
    nonisolated func releaseDomain(_ domain: String, yielding session: SMTPSession? = nil) -> Bool {
        let (yielded, granted) = state.withLock { s -> (Bool, Granted) in
            Self.decrement(domain, &s)
            if let session, !s.waiters.isEmpty || s.isShutDown {
                return (true, release(session: session.isActive ? session : nil, &s))
            }
            return (false, grantWaiters(&s))
        }
        for (continuation, lease) in granted { continuation.resume(returning: lease) }
        return yielded
    }

    /// Gives back a message's domain count (if any) and a session slot: the session
    /// becomes idle, or (`nil`, closed) the slot is freed.
    nonisolated func release(domain: String?, session: SMTPSession?) {
        let granted = state.withLock { s -> Granted in
            if let domain { Self.decrement(domain, &s) }
            return release(session: session, &s)
        }
        for (continuation, lease) in granted { continuation.resume(returning: lease) }
    }

    private static func decrement(_ domain: String, _ s: inout State) {
        let count = s.inFlightByDomain[domain, default: 1] - 1
        s.inFlightByDomain[domain] = count > 0 ? count : nil
    }

    /// Under the lock: the session becomes idle (or the slot is freed and a session given
    /// back after the shutdown says QUIT); returns the waiters granted a lease.
    private nonisolated func release(session: SMTPSession?, _ s: inout State) -> Granted {
        if let session, !s.isShutDown {
            s.idle.append(session)
        } else {
            s.openSessions -= 1
            if let session { Task { await session.quit() } }
        }
        return grantWaiters(&s)
    }

    private nonisolated func grantWaiters(_ s: inout State) -> Granted {
        var granted: Granted = []
        var index = 0
        while index < s.waiters.count {
            if let lease = grant(domain: s.waiters[index].domain, &s) {
                granted.append((s.waiters.remove(at: index).continuation, lease))
            } else {
                index += 1
            }
        }
        return granted
    }

    nonisolated func connect() async -> Result<SMTPSession, SMTPError> {
        var lastError = SMTPError(.connectionFailed, "no relay configured")
        for _ in 0..<configuration.relays.count {
            let relay = state.withLock { s -> SMTPRelay in
                defer { s.nextRelay &+= 1 }
                return configuration.relays[s.nextRelay % configuration.relays.count]
            }
            do {
                let session = try await SMTPSession.connect(to: relay, configuration: configuration)
                state.withLock { $0.sessionsOpened += 1 }
                logger.debug("SMTP session opened", metadata: ["herald.smtp.relay": "\(relay)", "herald.smtp.pipelining": "\(session.extensions.pipelining)"])
                return .success(session)
            } catch {
                lastError = error as? SMTPError ?? SMTPError(.connectionFailed, "\(relay): \(error)")
                switch lastError.code {
                case .authenticationFailed:
                    logger.error("SMTP authentication refused", metadata: ["herald.smtp.relay": "\(relay)", "herald.smtp.error": "\(lastError)"])
                case .tlsFailed:
                    logger.error("SMTP STARTTLS failed", metadata: ["herald.smtp.relay": "\(relay)", "herald.smtp.error": "\(lastError)"])
                default:
                    logger.warning("SMTP relay unavailable", metadata: ["herald.smtp.relay": "\(relay)", "herald.smtp.error": "\(lastError)"])
                }
            }
        }
        return .failure(lastError)
    }
}
