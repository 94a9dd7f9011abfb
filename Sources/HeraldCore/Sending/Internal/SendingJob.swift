import Logging

/// Sends a delivery's PENDING messages once: reads them in sequence order, hands each to
/// the transport with at most ``SendingEngine/Configuration/maxInFlight`` in flight and
/// at most the delivery's rate, retries 4xx with a growing, capped wait, and writes each
/// outcome to the ledger only after the transport reported it.
struct SendingJob: Sendable {
    /// How a job ended.
    enum Outcome: Sendable {
        /// Nothing is PENDING any more.
        case completed
        /// Asked to stop (pause, cancel, shutdown); nothing is in flight.
        case stopped
        /// The content cannot be rendered.
        case failed(String)
    }

    /// A message waiting for its next attempt.
    struct Retry: Sendable {
        var entry: LedgerEntry
        var due: ContinuousClock.Instant
    }

    let delivery: Delivery
    let run: SendingRun
    let store: any SendingStore
    let preparations: any PreparationStore
    let profiles: any ProfileStore
    let compiled: any CompiledMessage
    let options: RenderingOptions
    let transport: any MailTransport
    let composer: any MessageComposer
    let configuration: SendingEngine.Configuration
    let now: @Sendable () -> Timestamp
    let logger: Logger

    func execute() async -> Outcome {
        let clock = ContinuousClock()
        let interval: Duration? = delivery.rateLimitPerSecond.flatMap { $0 > 0 ? .seconds(1) / $0 : nil }
        var nextSlot = clock.now
        var buffer: [LedgerEntry] = []
        var position = 0
        var cursor = 0
        var exhausted = false
        var retries: [Retry] = []
        return await withTaskGroup(of: Retry?.self) { group in
            var inFlight = 0
            func settle(_ retry: Retry??) {
                inFlight -= 1
                run.state.withLock { $0.inFlight -= 1 }
                if let retry = retry ?? nil { retries.append(retry) }
            }
            while true {
                if run.stopRequested { break }
                var next: LedgerEntry?
                let instant = clock.now
                if let index = retries.firstIndex(where: { $0.due <= instant }) {
                    next = retries.remove(at: index).entry
                } else if position < buffer.count {
                    next = buffer[position]
                    position += 1
                } else if !exhausted {
                    do {
                        buffer = try await store.pendingEntries(
                            deliveryID: delivery.id, after: cursor, limit: configuration.batchSize
                        )
                    } catch {
                        logger.error("cannot read pending messages", metadata: metadata(error))
                        buffer = []
                        try? await clock.sleep(for: .milliseconds(200))
                    }
                    position = 0
                    if let last = buffer.last { cursor = last.message.sequence } else { exhausted = true }
                    continue
                }
                guard let entry = next else {
                    if inFlight > 0 {
                        settle(await group.next())
                    } else if let due = retries.map(\.due).min() {
                        try? await clock.sleep(until: min(due, clock.now + .milliseconds(50)))
                    } else {
                        // A last look from the start: rows whose ledger write failed are still PENDING.
                        let left = (try? await store.pendingEntries(deliveryID: delivery.id, after: 0, limit: 1)) ?? []
                        if left.isEmpty {
                            let completing = run.state.withLock { state -> Bool in
                                guard state.stop == nil else { return false }
                                state.finishing = true
                                return true
                            }
                            if completing { return .completed }
                            break
                        }
                        cursor = 0
                        exhausted = false
                        try? await clock.sleep(for: .milliseconds(100))
                    }
                    continue
                }
                while inFlight >= configuration.maxInFlight { settle(await group.next()) }
                if let interval {
                    let wait = nextSlot - clock.now
                    if wait > .zero { try? await clock.sleep(for: wait) }
                    nextSlot = max(nextSlot, clock.now - interval) + interval
                    if run.stopRequested {
                        // Not handed out: it stays PENDING and is read again on resume.
                        break
                    }
                }
                inFlight += 1
                run.state.withLock { $0.inFlight += 1 }
                group.addTask { await send(entry) }
            }
            while inFlight > 0 { settle(await group.next()) }
            return .stopped
        }
    }

    /// Sends one message and records its outcome; returns a retry after a 4xx.
    private func send(_ entry: LedgerEntry) async -> Retry? {
        let message = entry.message
        defer { run.state.withLock { $0.handled += 1 } }
        do {
            if let validUntil = delivery.schedule.validUntil, now() > validUntil {
                try await store.markFailed(
                    deliveryID: delivery.id, sequence: message.sequence, reason: .expired, attempts: entry.attempts,
                    reply: "not sent before valid_until", at: now()
                )
                return nil
            }
            guard let profile = try await profiles.profile(id: message.profileID) else {
                try await store.markFailed(
                    deliveryID: delivery.id, sequence: message.sequence, reason: .other, attempts: entry.attempts,
                    reply: "the profile was deleted", at: now()
                )
                return nil
            }
            let rendered: RenderedMessage
            do {
                rendered = try compiled.render(profile, identity: message.identity)
            } catch {
                try await store.markFailed(
                    deliveryID: delivery.id, sequence: message.sequence, reason: .rejectedContent, attempts: entry.attempts,
                    reply: error.reason, at: now()
                )
                return nil
            }
            let mail = composer.compose(
                rendered, for: message, of: delivery,
                unsubscribeURL: options.url(.unsubscribe, trackingID: message.trackingID), date: now()
            )
            let attempts = entry.attempts + 1
            switch await transport.send(mail) {
            case .sent(let reply):
                try await store.markSent(
                    deliveryID: delivery.id, sequence: message.sequence, attempts: attempts, reply: reply, at: now()
                )
            case .permanent(let reason, let reply):
                try await store.markFailed(
                    deliveryID: delivery.id, sequence: message.sequence, reason: reason, attempts: attempts, reply: reply,
                    at: now()
                )
                if reason.isHard {
                    try await preparations.quarantine(address: message.address, reason: reply, at: now())
                }
            case .transient(let reason, let reply):
                if attempts >= configuration.maxAttempts {
                    try await store.markFailed(
                        deliveryID: delivery.id, sequence: message.sequence,
                        reason: reason == .unreachable ? .unreachable : .transientExhausted, attempts: attempts,
                        reply: reply, at: now()
                    )
                    return nil
                }
                let wait = configuration.backoff(after: attempts)
                let time = now()
                let micros = wait.components.seconds * 1_000_000 + wait.components.attoseconds / 1_000_000_000_000
                try await store.recordRetry(
                    deliveryID: delivery.id, sequence: message.sequence, attempts: attempts, reply: reply, at: time,
                    nextAttempt: Timestamp(microsecondsSinceEpoch: time.microsecondsSinceEpoch + micros)
                )
                var retried = entry
                retried.attempts = attempts
                retried.replyText = reply
                return Retry(entry: retried, due: ContinuousClock.now + wait)
            }
        } catch {
            logger.error("cannot record a message's outcome", metadata: metadata(error, sequence: message.sequence))
        }
        return nil
    }

    private func metadata(_ error: any Error, sequence: Int? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["herald.delivery.id": "\(delivery.id)", "herald.error": "\(error)"]
        if let sequence { metadata["herald.message.sequence"] = "\(sequence)" }
        return metadata
    }
}
