import HeraldCore
import Logging
import Synchronization
import Testing

/// A transport answering each recipient as `reply` says (attempt numbers from 1) and
/// recording what it was given, when, and how many were in flight per domain.
final class FakeTransport: MailTransport, Sendable {
    struct Attempt: Sendable {
        var recipient: String
        var time: ContinuousClock.Instant
    }

    struct State {
        var attempts: [Attempt] = []
        var countByRecipient: [String: Int] = [:]
        var inFlightByDomain: [String: Int] = [:]
        var maxInFlightByDomain: [String: Int] = [:]
        var inFlight = 0
        var maxInFlight = 0
        var maxUncommitted = 0
    }

    let state = Mutex(State())
    private let delay: Duration
    private let reply: @Sendable (_ recipient: String, _ attempt: Int) -> SendOutcome
    /// The store whose committed outcomes are compared with what was handed out.
    let committed: SlowCommitStore?
    /// Awaited with the recipient before a message is answered.
    private let gate: (@Sendable (String) async -> Void)?

    init(
        delay: Duration = .zero, committed: SlowCommitStore? = nil,
        reply: @escaping @Sendable (String, Int) -> SendOutcome = { _, _ in .sent(reply: "250 OK") },
        gate: (@Sendable (String) async -> Void)? = nil
    ) {
        self.delay = delay
        self.committed = committed
        self.gate = gate
        self.reply = reply
    }

    func send(_ message: OutgoingMail) async -> SendOutcome {
        let domain = String(message.recipient.split(separator: "@").last ?? "")
        let attempt = state.withLock { state -> Int in
            state.attempts.append(Attempt(recipient: message.recipient, time: .now))
            state.countByRecipient[message.recipient, default: 0] += 1
            state.inFlight += 1
            state.maxInFlight = max(state.maxInFlight, state.inFlight)
            state.inFlightByDomain[domain, default: 0] += 1
            state.maxInFlightByDomain[domain] = max(state.maxInFlightByDomain[domain] ?? 0, state.inFlightByDomain[domain]!)
            return state.countByRecipient[message.recipient]!
        }
        if let committed {
            let done = await committed.committedOutcomes
            let handed = state.withLock { $0.attempts.count }
            state.withLock { $0.maxUncommitted = max($0.maxUncommitted, handed - done) }
        }
        if delay > .zero { try? await Task.sleep(for: delay) }
        if let gate { await gate(message.recipient) }
        state.withLock { state in
            state.inFlight -= 1
            state.inFlightByDomain[domain, default: 1] -= 1
        }
        return reply(message.recipient, attempt)
    }

    var attempts: [Attempt] { state.withLock { $0.attempts } }
}

/// The subject as the whole message (the MIME writer is HeraldMail's business).
struct PlainComposer: MessageComposer {
    func compose(
        _ rendered: RenderedMessage, for message: PreparedMessage, of delivery: Delivery, unsubscribeURL: String,
        date: Timestamp
    ) -> OutgoingMail {
        OutgoingMail(sender: delivery.content.sender.address, recipient: message.address, data: Array(rendered.subject.utf8))
    }
}

/// A test store over an ``InMemorySendingStore`` (`base`) that overrides a few methods:
/// the others forward to `base`.
protocol ForwardingSendingStore: Actor, SendingStore {
    var base: InMemorySendingStore { get }
}

extension ForwardingSendingStore {
    func recordRetry(deliveryID: String, sequence: Int, attempts: Int, reply: String, at time: Timestamp, nextAttempt: Timestamp) async {
        await base.recordRetry(deliveryID: deliveryID, sequence: sequence, attempts: attempts, reply: reply, at: time, nextAttempt: nextAttempt)
    }
    func markSent(deliveryID: String, sequence: Int, attempts: Int, reply: String, at time: Timestamp) async -> Bool {
        await base.markSent(deliveryID: deliveryID, sequence: sequence, attempts: attempts, reply: reply, at: time)
    }
    func markFailed(
        deliveryID: String, sequence: Int, reason: MessageFailureReason, attempts: Int, reply: String, at time: Timestamp
    ) async -> Bool {
        await base.markFailed(deliveryID: deliveryID, sequence: sequence, reason: reason, attempts: attempts, reply: reply, at: time)
    }
    func softFailureCount(address: String, since: Timestamp) async -> Int {
        await base.softFailureCount(address: address, since: since)
    }
    func cancelPending(deliveryID: String, at time: Timestamp) async -> Int {
        await base.cancelPending(deliveryID: deliveryID, at: time)
    }
    func sendingCounts(deliveryID: String) async -> SendingCounts {
        await base.sendingCounts(deliveryID: deliveryID)
    }
    func listLedger(
        deliveryID: String, statuses: Set<PreparedMessage.Status>?, after: String?, limit: Int
    ) async throws -> Page<LedgerEntry> {
        try await base.listLedger(deliveryID: deliveryID, statuses: statuses, after: after, limit: limit)
    }
}

/// An ``InMemorySendingStore`` whose commits take `delay` (so that outcomes pile up into
/// groups) and that counts the committed outcomes.
actor SlowCommitStore: ForwardingSendingStore {
    let base = InMemorySendingStore()
    let delay: Duration
    private(set) var committedOutcomes = 0

    init(delay: Duration) {
        self.delay = delay
    }

    func applyLedgerUpdates(_ updates: [LedgerUpdate], deliveryID: String) async throws {
        try? await Task.sleep(for: delay)
        await base.applyLedgerUpdates(updates, deliveryID: deliveryID)
        committedOutcomes += updates.count { if case .retry = $0 { false } else { true } }
    }

    func pendingEntries(deliveryID: String, after: Int, limit: Int) async -> [LedgerEntry] {
        await base.pendingEntries(deliveryID: deliveryID, after: after, limit: limit)
    }
}

/// A prepared delivery and a sending engine over in-memory stores.
struct SendingFixture {
    let preparation: EngineFixture
    let store: any SendingStore
    let load: @Sendable ([PreparedMessage]) async -> Void
    let engine: SendingEngine

    init(
        transport: any MailTransport, configuration: SendingEngine.Configuration, store: (any SendingStore)? = nil,
        preparation: EngineFixture = EngineFixture(batchSize: 50)
    ) {
        self.preparation = preparation
        let ledger: any SendingStore
        if let slow = store as? SlowCommitStore {
            ledger = slow
            load = { await slow.base.load($0) }
        } else if let reading = store as? ReadCountingStore {
            ledger = reading
            load = { await reading.base.load($0) }
        } else {
            let memory = InMemorySendingStore()
            ledger = memory
            load = { await memory.load($0) }
        }
        self.store = ledger
        engine = SendingEngine(
            deliveries: preparation.deliveries, store: ledger, preparations: preparation.store, profiles: preparation.profiles,
            renderer: StubRenderer(), preparationEngine: preparation.engine, transport: transport, composer: PlainComposer(),
            configuration: configuration, now: { testNow }, logger: Logger(label: "test")
        )
    }

    /// Prepares `delivery` and loads its ledger rows into the sending store.
    func prepare(_ delivery: Delivery) async throws {
        let (prepared, _) = try await preparation.prepare(delivery)
        precondition(prepared.state == .ready, "the delivery did not prepare: \(prepared.state)")
        let rows = try await preparation.store.listMessages(deliveryID: delivery.id, statuses: nil, after: nil, limit: 1_000_000)
        await load(rows.items)
    }

    /// Sends and waits until the delivery leaves SENDING; returns every progress seen
    /// on the way (each checked by the caller).
    @discardableResult
    func sendAndWait(_ deliveryID: String) async throws -> [SendingProgress] {
        _ = try await engine.send(deliveryID: deliveryID)
        var seen: [SendingProgress] = []
        for _ in 0..<6_000 {
            let progress = try await engine.progress(deliveryID: deliveryID)
            seen.append(progress)
            if progress.state != .sending { return seen }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("the delivery did not finish sending within 30 s")
        return seen
    }

    func ledger(_ deliveryID: String) async throws -> [LedgerEntry] {
        try await store.listLedger(deliveryID: deliveryID, statuses: nil, after: nil, limit: 1_000_000).items
    }
}

func configuration(
    maxInFlight: Int = 8, maxPerDomain: Int = 4, maxAttempts: Int = 5, domainBackoff: Duration = .milliseconds(1),
    quarantineThreshold: Int = 3, batchSize: Int = 25, readAhead: Int? = nil
) -> SendingEngine.Configuration {
    SendingEngine.Configuration(
        maxInFlight: maxInFlight, maxPerDomain: maxPerDomain, maxAttempts: maxAttempts, retryBase: .milliseconds(5),
        retryCap: .milliseconds(20), domainBackoffBase: domainBackoff, domainBackoffCap: domainBackoff * 8,
        quarantineThreshold: quarantineThreshold, batchSize: batchSize, readAhead: readAhead
    )
}
