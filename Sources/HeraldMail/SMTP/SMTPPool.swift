public import Logging

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

    private let configuration: Configuration
    private let logger: Logger
    private var idle: [SMTPSession] = []
    private var openSessions = 0
    private var inFlightByDomain: [String: Int] = [:]
    private var waiters: [Waiter] = []
    private var nextRelay = 0
    private var isShutDown = false
    private var sessionsOpened = 0
    private var messagesChained = 0

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
                    await release(domain: domain, session: nil)
                    return error.outcome
                }
            }
            let (outcome, after) = await session.send(message)
            switch after {
            case .reusable:
                await release(domain: domain, session: session)
                return outcome
            case .closed:
                await release(domain: domain, session: nil)
                return outcome
            case .retryOnNewSession where !retried:
                logger.debug("SMTP session dropped by the relay; reconnecting", metadata: ["herald.smtp.relay": "\(session.relay)"])
                retried = true
                lease = .connect
            case .retryOnNewSession:
                await release(domain: domain, session: nil)
                return outcome
            }
        }
    }

    /// Says QUIT on the idle sessions and closes them; sessions in use close when their
    /// message is done. Later sends fail at once (transient, ``FailureReason/unreachable``).
    public func shutdown() async {
        isShutDown = true
        for waiter in waiters { waiter.continuation.resume(returning: .shutDown) }
        waiters.removeAll()
        let sessions = idle
        idle.removeAll()
        openSessions -= sessions.count
        await withTaskGroup(of: Void.self) { group in
            for session in sessions { group.addTask { await session.quit() } }
        }
    }

    /// How many SMTP sessions the pool has opened since it was created (reconnections
    /// included): a measure of reuse.
    public var openedSessionCount: Int { sessionsOpened }

    /// How many messages went out on an ``SMTPLease``'s session with the previous
    /// message's data (RFC 2920 overlap): a measure of the overlap in use.
    public var chainedMessageCount: Int { messagesChained }

    /// Whether some sender waits for a session or for its domain's bound.
    var hasWaiters: Bool { !waiters.isEmpty }

    /// A lease on one session for a sender that sends message after message (a sending
    /// lane): no session is taken until its first message.
    public nonisolated func lease() -> SMTPLease {
        SMTPLease(pool: self)
    }

    // MARK: - Bookkeeping (actor-isolated, no I/O)

    func acquire(domain: String) async -> Lease {
        if isShutDown { return .shutDown }
        if let lease = grant(domain: domain) { return lease }
        return await withCheckedContinuation { continuation in
            waiters.append(Waiter(domain: domain, continuation: continuation))
        }
    }

    /// A lease when both bounds allow one now.
    private func grant(domain: String) -> Lease? {
        guard inFlightByDomain[domain, default: 0] < configuration.maxSessionsPerDomain else { return nil }
        if let session = idle.popLast() {
            inFlightByDomain[domain, default: 0] += 1
            return .session(session)
        }
        guard openSessions < configuration.maxSessions else { return nil }
        openSessions += 1
        inFlightByDomain[domain, default: 0] += 1
        return .connect
    }

    /// For a lease that keeps its session: counts one more message in flight to `domain`
    /// when the bound allows it now and nobody waits for a session (the lease gives its
    /// session back instead, see ``releaseDomain(_:yielding:)``). `chained`: the message
    /// goes out with the previous one's data (counted in ``chainedMessageCount``).
    func reserveOnSession(domain: String, chained: Bool) -> Bool {
        guard !isShutDown, waiters.isEmpty, inFlightByDomain[domain, default: 0] < configuration.maxSessionsPerDomain else {
            return false
        }
        inFlightByDomain[domain, default: 0] += 1
        if chained { messagesChained += 1 }
        return true
    }

    /// A lease's message to `domain` is done. When others wait for a session and the
    /// lease offers its own (`yielding`), the session goes back to the pool (then `true`:
    /// the lease no longer holds it).
    func releaseDomain(_ domain: String, yielding session: SMTPSession? = nil) -> Bool {
        let count = inFlightByDomain[domain, default: 1] - 1
        inFlightByDomain[domain] = count > 0 ? count : nil
        if let session, !waiters.isEmpty || isShutDown {
            release(domain: nil, session: session.isActive ? session : nil)
            return true
        }
        grantWaiters()
        return false
    }

    /// Gives back a message's domain count (if any) and a session slot: the session
    /// becomes idle, or (`nil`, closed) the slot is freed.
    func release(domain: String?, session: SMTPSession?) {
        if let domain {
            let count = inFlightByDomain[domain, default: 1] - 1
            inFlightByDomain[domain] = count > 0 ? count : nil
        }
        if let session, !isShutDown {
            idle.append(session)
        } else {
            openSessions -= 1
            if let session { Task { await session.quit() } }
        }
        grantWaiters()
    }

    private func grantWaiters() {
        var index = 0
        while index < waiters.count {
            if let lease = grant(domain: waiters[index].domain) {
                waiters.remove(at: index).continuation.resume(returning: lease)
            } else {
                index += 1
            }
        }
    }

    func connect() async -> Result<SMTPSession, SMTPError> {
        var lastError = SMTPError(.connectionFailed, "no relay configured")
        for _ in 0..<configuration.relays.count {
            let relay = configuration.relays[nextRelay % configuration.relays.count]
            nextRelay &+= 1
            do {
                let session = try await SMTPSession.connect(to: relay, configuration: configuration)
                sessionsOpened += 1
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
