import Logging

/// Sends a delivery's PENDING messages once: reads them in sequence order, hands each to
/// the transport with at most ``SendingEngine/Configuration/maxInFlight`` in flight, at
/// most ``SendingEngine/Configuration/maxPerDomain`` per recipient domain and at most
/// the delivery's rate; retries 4xx with a growing, capped wait per message and holds a
/// domain back after its 4xx (``DomainThrottle``); commits each outcome to the ledger
/// (group commit) only after the transport reported it, and counts a message in flight
/// until its outcome is committed.
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

    /// A ledger row with its profile (read by the batch; `nil` when it was deleted).
    struct Work: Sendable {
        var entry: LedgerEntry
        var profile: Profile?
    }

    /// A message waiting for its next attempt.
    struct Retry: Sendable {
        var work: Work
        var due: ContinuousClock.Instant
    }

    /// What one message's task reports back to the loop.
    struct Completion: Sendable {
        /// The recipient domain.
        var domain: String
        /// Whether the relay answered the message with 2xx / 4xx (domain backoff).
        var domainResult: DomainThrottle.Result?
        /// The next attempt, after a 4xx.
        var retry: Retry?
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
        // Progress reads the run's counts from now on, not the rows (nothing is in flight yet).
        if let counts = try? await store.sendingCounts(deliveryID: delivery.id) {
            run.state.withLock { $0.counts = counts }
        }
        let committer = LedgerCommitter(
            store: store, deliveryID: delivery.id, groupSize: configuration.ledgerGroupSize, run: run
        )
        let interval: Duration? = delivery.rateLimitPerSecond.flatMap { $0 > 0 ? .seconds(1) / $0 : nil }
        var nextSlot = clock.now
        var buffer: [Work] = []
        var position = 0
        var cursor = 0
        var exhausted = false
        var retries: [Retry] = []
        // Read but held back: their domain is at its bound or backing off.
        var held: [Work] = []
        let heldLimit = max(configuration.batchSize, configuration.maxInFlight * 4)
        var throttle = DomainThrottle(configuration: configuration)
        var quarantined: Set<String> = []
        return await withTaskGroup(of: Completion.self) { group in
            var inFlight = 0
            func settle(_ completion: Completion?) {
                guard let completion else { return }
                inFlight -= 1
                run.state.withLock { $0.inFlight -= 1 }
                throttle.finished(completion.domain, completion.domainResult, at: clock.now)
                if let retry = completion.retry { retries.append(retry) }
            }
            while true {
                if run.stopRequested { break }
                var next: Work?
                let instant = clock.now
                if let index = retries.firstIndex(where: { $0.due <= instant && throttle.allows(Self.domain($0.work.entry), at: instant) }) {
                    next = retries.remove(at: index).work
                } else if let index = held.firstIndex(where: { throttle.allows(Self.domain($0.entry), at: instant) }) {
                    next = held.remove(at: index)
                } else if position < buffer.count, held.count < heldLimit {
                    let work = buffer[position]
                    position += 1
                    if throttle.allows(Self.domain(work.entry), at: instant) { next = work } else { held.append(work) }
                    if next == nil { continue }
                } else if position >= buffer.count, !exhausted, held.count < heldLimit {
                    do {
                        let entries = try await store.pendingEntries(
                            deliveryID: delivery.id, after: cursor, limit: configuration.batchSize
                        )
                        // Addresses quarantined since the preparation fail instead of being sent.
                        let found = try await preparations.quarantinedAddresses(among: entries.map(\.message.address))
                        quarantined.formUnion(found.map(Self.folded))
                        let loaded = try await profiles.profiles(ids: entries.map(\.message.profileID))
                        buffer = entries.map { Work(entry: $0, profile: loaded[$0.message.profileID]) }
                    } catch {
                        logger.error("cannot read pending messages", metadata: metadata(error))
                        buffer = []
                        try? await clock.sleep(for: .milliseconds(200))
                    }
                    position = 0
                    if let last = buffer.last { cursor = last.entry.message.sequence } else { exhausted = true }
                    continue
                }
                guard let work = next else {
                    if inFlight > 0 {
                        settle(await group.next())
                    } else if !retries.isEmpty || !held.isEmpty {
                        let wake = ([throttle.nextOpening(after: instant)] + retries.map(\.due)).compactMap { $0 }.min()
                        try? await clock.sleep(until: min(wake ?? instant, instant + .milliseconds(50)))
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
                let domain = Self.domain(work.entry)
                let isQuarantined = quarantined.contains(Self.folded(work.entry.message.address))
                inFlight += 1
                run.state.withLock { $0.inFlight += 1 }
                throttle.started(domain)
                group.addTask {
                    var completion = await send(work, quarantined: isQuarantined, committer: committer)
                    completion.domain = domain
                    return completion
                }
            }
            while inFlight > 0 { settle(await group.next()) }
            return .stopped
        }
    }

    /// Sends one message and commits its outcome; returns a retry after a 4xx.
    private func send(_ work: Work, quarantined: Bool, committer: LedgerCommitter) async -> Completion {
        let entry = work.entry
        let message = entry.message
        var completion = Completion(domain: "")
        do {
            if let validUntil = delivery.schedule.validUntil, now() > validUntil {
                try await finish(entry, committer, .failed(
                    sequence: message.sequence, reason: .expired, attempts: entry.attempts,
                    reply: "not sent before valid_until", time: now()
                ))
                return completion
            }
            if quarantined {
                try await finish(entry, committer, .failed(
                    sequence: message.sequence, reason: .quarantined, attempts: entry.attempts,
                    reply: "the address was quarantined after the preparation", time: now()
                ))
                return completion
            }
            guard let profile = work.profile else {
                try await finish(entry, committer, .failed(
                    sequence: message.sequence, reason: .other, attempts: entry.attempts, reply: "the profile was deleted",
                    time: now()
                ))
                return completion
            }
            let rendered: RenderedMessage
            do {
                rendered = try compiled.render(profile, identity: message.identity)
            } catch {
                try await finish(entry, committer, .failed(
                    sequence: message.sequence, reason: .rejectedContent, attempts: entry.attempts, reply: error.reason,
                    time: now()
                ))
                return completion
            }
            let mail = composer.compose(
                rendered, for: message, of: delivery,
                unsubscribeURL: options.url(.unsubscribe, trackingID: message.trackingID), date: now()
            )
            let attempts = entry.attempts + 1
            switch await transport.send(mail) {
            case .sent(let reply):
                completion.domainResult = .accepted
                try await finish(entry, committer, .sent(
                    sequence: message.sequence, attempts: attempts, reply: reply, time: now()
                ))
            case .permanent(let reason, let reply):
                try await finish(entry, committer, .failed(
                    sequence: message.sequence, reason: reason, attempts: attempts, reply: reply, time: now()
                ))
                if reason.isHard {
                    try await preparations.quarantine(address: message.address, reason: reply, at: now())
                } else if reason.isSoft {
                    try await countSoftFailure(message.address, reply: reply)
                }
            case .transient(.unreachable, let reply):
                // The relay's problem, not the message's: the relay backs off, and the
                // message waits for it without using up its attempts (until valid_until).
                // (`attempts` counts the attempts the relay answered.)
                completion.domainResult = .relayDown
                try await committer.record(.retry(
                    sequence: message.sequence, attempts: entry.attempts, reply: reply, time: now(), nextAttempt: now()
                ))
                var retried = work
                retried.entry.replyText = reply
                completion.retry = Retry(work: retried, due: ContinuousClock.now)
                return completion
            case .transient(_, let reply):
                completion.domainResult = .deferred
                if attempts >= configuration.maxAttempts {
                    try await finish(entry, committer, .failed(
                        sequence: message.sequence, reason: .transientExhausted, attempts: attempts, reply: reply,
                        time: now()
                    ))
                    try await countSoftFailure(message.address, reply: reply)
                    return completion
                }
                let wait = configuration.backoff(after: attempts)
                let time = now()
                let micros = wait.components.seconds * 1_000_000 + wait.components.attoseconds / 1_000_000_000_000
                try await committer.record(.retry(
                    sequence: message.sequence, attempts: attempts, reply: reply, time: time,
                    nextAttempt: Timestamp(microsecondsSinceEpoch: time.microsecondsSinceEpoch + micros)
                ))
                var retried = work
                retried.entry.attempts = attempts
                retried.entry.replyText = reply
                completion.retry = Retry(work: retried, due: ContinuousClock.now + wait)
            }
        } catch {
            logger.error("cannot record a message's outcome", metadata: metadata(error, sequence: message.sequence))
        }
        return completion
    }

    /// Commits a final outcome and counts the message as handled (throughput).
    private func finish(_ entry: LedgerEntry, _ committer: LedgerCommitter, _ update: LedgerUpdate) async throws {
        try await committer.record(update)
        run.handled(1)
    }

    /// After a soft failure (committed): quarantines the address when it has reached the
    /// threshold of soft failures within the window.
    private func countSoftFailure(_ address: String, reply: String) async throws {
        let window = configuration.quarantineWindow
        let micros = window.components.seconds * 1_000_000 + window.components.attoseconds / 1_000_000_000_000
        let time = now()
        let since = Timestamp(microsecondsSinceEpoch: time.microsecondsSinceEpoch - micros)
        let count = try await store.softFailureCount(address: address, since: since)
        if count >= configuration.quarantineThreshold {
            try await preparations.quarantine(
                address: address, reason: "\(count) soft failures within the quarantine window; last: \(reply)", at: time
            )
            logger.notice("address quarantined after soft failures", metadata: [
                "herald.delivery.id": "\(delivery.id)", "herald.soft_failures": "\(count)",
            ])
        }
    }

    static func domain(_ entry: LedgerEntry) -> String {
        let address = entry.message.address
        guard let at = address.lastIndex(of: "@") else { return "" }
        return folded(String(address[address.index(after: at)...]))
    }

    /// ASCII lower case (how quarantines compare addresses).
    static func folded(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    private func metadata(_ error: any Error, sequence: Int? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["herald.delivery.id": "\(delivery.id)", "herald.error": "\(error)"]
        if let sequence { metadata["herald.message.sequence"] = "\(sequence)" }
        return metadata
    }
}
