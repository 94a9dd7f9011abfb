import Logging

/// Sends a delivery's PENDING messages once: reads them in sequence order, hands each to
/// the transport with at most ``SendingEngine/Configuration/maxInFlight`` in flight, at
/// most ``SendingEngine/Configuration/maxPerDomain`` per recipient domain and at most
/// the delivery's rate; retries 4xx with a growing, capped wait per message and holds a
/// domain back after its 4xx (``DomainThrottle``); commits each outcome to the ledger
/// (group commit) only after the transport reported it, and counts a message in flight
/// until its outcome is committed. The messages go out through one lane per message that
/// may be in flight (``Lanes``); over a ``ChainingMailSession`` a lane's steady state
/// runs on its session's thread (``Chain``, ``TickCommitter``).
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
        /// The recipient's domain, folded (``SendingJob/domain(_:)``), and the folded
        /// address (how quarantines compare): worked out once when the row is read, not
        /// under the lanes' lock each time a lane looks at the message.
        let domain: String
        let foldedAddress: String

        init(entry: LedgerEntry, profile: Profile?) {
            self.entry = entry
            self.profile = profile
            self.domain = SendingJob.domain(entry)
            self.foldedAddress = SendingJob.folded(entry.message.address)
        }
    }

    /// A message waiting for its next attempt.
    struct Retry: Sendable {
        var work: Work
        var due: ContinuousClock.Instant
    }

    /// What sending one message reports back to its lane.
    struct Completion: Sendable {
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
        // Progress reads the run's counts from now on, not the rows (nothing is in flight yet).
        if let counts = try? await store.sendingCounts(deliveryID: delivery.id) {
            run.state.withLock { $0.counts = counts }
        }
        let committer = LedgerCommitter(
            store: store, deliveryID: delivery.id, groupSize: configuration.ledgerGroupSize, run: run
        )
        let lanes = Lanes(
            configuration: configuration, run: run,
            interval: delivery.rateLimitPerSecond.flatMap { $0 > 0 ? .seconds(1) / $0 : nil }
        )
        // One task per message that may be in flight, each taking the next message as soon
        // as its previous one is committed: no task per message, no hand-off to a loop.
        let commits = TickCommitter(store: store, deliveryID: delivery.id, run: run)
        // The reader reads the batches the lanes ask for, in the background; it ends once
        // every lane exited and the batch it may be reading is handed over.
        await withTaskGroup(of: Void.self) { job in
            job.addTask { await readBatches(lanes) }
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<configuration.maxInFlight {
                    group.addTask { await runLane(lanes, committer: committer, commits: commits) }
                }
            }
            lanes.endReading()
        }
        let figures = lanes.figures
        logger.info("sending run ended", metadata: [
            "herald.delivery.id": "\(delivery.id)", "herald.batches_read": "\(figures.reads)",
            "herald.dry_chain_ends": "\(figures.dryChainEnds)", "herald.lanes_parked_for_rows": "\(figures.parkedForRows)",
            "herald.read_ms": "\(Self.milliseconds(figures.readTime))", "herald.longest_read_ms": "\(Self.milliseconds(figures.longestRead))",
        ])
        return lanes.state.withLock { $0.outcome } ?? .stopped
    }

    /// The job's reader: reads each batch the lanes ask for (``Lanes/readRequests``) with
    /// the quarantines and profiles of its rows, and hands it to them. A read error is
    /// logged and, after 200 ms, handed over as an empty batch (the last look reads again
    /// from the first row). Nothing is read once the run is asked to stop.
    private func readBatches(_ lanes: Lanes) async {
        for await cursor in lanes.readRequests {
            guard !run.stopRequested else {
                lanes.batchRead(nil, quarantined: [])
                continue
            }
            var read: [Work] = []
            var found: Set<String> = []
            do {
                let entries = try await store.pendingEntries(
                    deliveryID: delivery.id, after: cursor, limit: configuration.batchSize
                )
                // Addresses quarantined since the preparation fail instead of being sent.
                found = Set(try await preparations.quarantinedAddresses(among: entries.map(\.message.address)).map(Self.folded))
                let loaded = try await profiles.profiles(ids: entries.map(\.message.profileID))
                read = entries.map { Work(entry: $0, profile: loaded[$0.message.profileID]) }
            } catch {
                logger.error("cannot read pending messages", metadata: metadata(error))
                try? await ContinuousClock().sleep(for: .milliseconds(200))
            }
            lanes.batchRead(read, quarantined: found)
        }
    }

    /// One lane: takes the next message the shared state allows, sends it, settles it.
    private func runLane(_ lanes: Lanes, committer: LedgerCommitter, commits: TickCommitter) async {
        if let sessions = transport as? any SessionMailTransport {
            await runSessionLane(lanes, session: sessions.makeSession(), committer: committer, commits: commits)
            return
        }
        let clock = ContinuousClock()
        while true {
            let step = lanes.next(at: clock.now)
            if case .send(let work, let quarantined) = step {
                let completion = await send(work, quarantined: quarantined, committer: committer)
                lanes.settle(completion, domain: work.domain, at: clock.now)
            } else if await !perform(step, lanes) {
                return
            }
        }
    }

    /// One lane over a session it keeps (``SessionMailTransport``): message k+1 is begun
    /// with k's data (one exchange with the relay per message), k's outcome is committed
    /// while k+1 waits for its data, and k+1 is finished only then, so at most one
    /// message of the lane is accepted by the relay and not committed. A begun message
    /// is in flight; a stop drops it undelivered (it stays PENDING).
    ///
    /// Over a ``ChainingMailSession`` the steady state (k accepted, k+1 begun, k+2 at
    /// hand) runs on the session's thread (``Chain``); the lane goes on here from where
    /// the chain ended.
    private func runSessionLane(
        _ lanes: Lanes, session initial: any MailSession, committer: LedgerCommitter, commits: TickCommitter
    ) async {
        var session = initial
        let clock = ContinuousClock()
        var begun: Work?
        // A message taken and composed, to begin with the begun one's data.
        var taken: (work: Work, mail: OutgoingMail)?
        while true {
            if let current = begun {
                begun = nil
                if run.stopRequested {
                    await session.abandon()
                    lanes.settle(Completion(), domain: current.domain, at: clock.now)
                    if let dropped = taken {
                        taken = nil
                        lanes.settle(Completion(), domain: dropped.work.domain, at: clock.now)
                    }
                    continue
                }
                // The next message, only if the lane may take one now (no waiting while k is held).
                var next = taken
                taken = nil
                if next == nil, case .send(let work, let quarantined)? = lanes.next(at: clock.now, immediately: true) {
                    switch await prepare(work, quarantined: quarantined, committer: committer) {
                    case .settled(let completion):
                        lanes.settle(completion, domain: work.domain, at: clock.now)
                    case .mail(let mail):
                        next = (work, mail)
                    }
                }
                var finished = current
                let outcome: SendOutcome
                let beginning: MailBeginning?
                if let chained = next, var chaining = session as? any ChainingMailSession {
                    let schedule: @Sendable (@escaping @Sendable () -> Void) -> Void = { [chaining] in chaining.schedule($0) }
                    let chain = Chain(self, lanes: lanes, commits: commits, current: current, next: chained, schedule: schedule)
                    let end = await chaining.chain(thenBegin: chained.mail, advance: chain.advance)
                    session = chaining
                    let state = chain.state.withLock { $0 }
                    if let unsent = state.unsent {
                        await commitUnsent(unsent.work, unsent.update, committer)
                        lanes.settle(Completion(), domain: unsent.work.domain, at: clock.now)
                    }
                    switch end {
                    case .handedBack(let declined):
                        begun = state.current
                        if declined { taken = state.next }
                        continue
                    case .finished(let chainOutcome, let chainBeginning):
                        finished = state.current
                        next = state.next
                        (outcome, beginning) = (chainOutcome, chainBeginning)
                    }
                } else {
                    (outcome, beginning) = await session.finish(thenBegin: next?.mail)
                }
                lanes.settle(await record(outcome, of: finished, committer: committer), domain: finished.domain, at: clock.now)
                guard let next else { continue }
                switch beginning {
                case .begun?:
                    begun = next.work
                case .done(let nextOutcome)?:
                    lanes.settle(await record(nextOutcome, of: next.work, committer: committer), domain: next.work.domain, at: clock.now)
                case nil:
                    begun = await begin(next.work, next.mail, on: &session, lanes, committer)
                }
                continue
            }
            let step = lanes.next(at: clock.now)
            if case .send(let work, let quarantined) = step {
                switch await prepare(work, quarantined: quarantined, committer: committer) {
                case .settled(let completion):
                    lanes.settle(completion, domain: work.domain, at: clock.now)
                case .mail(let mail):
                    begun = await begin(work, mail, on: &session, lanes, committer)
                }
                continue
            }
            // Not sending for now: the session goes back to the pool.
            await session.end()
            if await !perform(step, lanes) { return }
        }
    }

    /// Begins a message on the lane's session (returned while it is begun); settles it
    /// when it was done at once.
    private func begin(
        _ work: Work, _ mail: OutgoingMail, on session: inout any MailSession, _ lanes: Lanes, _ committer: LedgerCommitter
    ) async -> Work? {
        switch await session.begin(mail) {
        case .begun:
            return work
        case .done(let outcome):
            lanes.settle(await record(outcome, of: work, committer: committer), domain: work.domain, at: .now)
            return nil
        }
    }

    /// A step other than sending; returns `false` when the lane exits.
    private func perform(_ step: Step, _ lanes: Lanes) async -> Bool {
        let clock = ContinuousClock()
        switch step {
        case .exit:
            // Lanes parked behind this one see the stop (or the end) too.
            lanes.wakeAll()
            return false
        case .send:
            break
        case .park(let generation):
            await lanes.park(generation)
        case .sleep(let until):
            try? await clock.sleep(until: until)
        case .lastLook:
            // A last look from the start: rows whose ledger write failed are still PENDING.
            let left = (try? await store.pendingEntries(deliveryID: delivery.id, after: 0, limit: 1)) ?? []
            if !lanes.lastLooked(nothingLeft: left.isEmpty) {
                try? await clock.sleep(for: .milliseconds(100))
            }
        }
        return true
    }

    /// What ``prepare(_:quarantined:committer:)`` made of a message.
    enum Prepared: Sendable {
        /// The message to hand to the transport.
        case mail(OutgoingMail)
        /// Settled without the transport (expired, quarantined, no profile, not
        /// renderable): its outcome is committed.
        case settled(Completion)
    }

    /// Sends one message and commits its outcome; returns a retry after a 4xx.
    private func send(_ work: Work, quarantined: Bool, committer: LedgerCommitter) async -> Completion {
        switch await prepare(work, quarantined: quarantined, committer: committer) {
        case .settled(let completion):
            return completion
        case .mail(let mail):
            return await record(await transport.send(mail), of: work, committer: committer)
        }
    }

    /// Renders and composes a message, or commits why it is not sent.
    private func prepare(_ work: Work, quarantined: Bool, committer: LedgerCommitter) async -> Prepared {
        switch compose(work, quarantined: quarantined) {
        case .mail(let mail):
            return .mail(mail)
        case .unsent(let update):
            await commitUnsent(work, update, committer)
            return .settled(Completion())
        }
    }

    /// Commits the update of a message settled without sending (``Composed/unsent(_:)``).
    private func commitUnsent(_ work: Work, _ update: LedgerUpdate, _ committer: LedgerCommitter) async {
        do {
            try await finish(work.entry, committer, update)
        } catch {
            logger.error("cannot record a message's outcome", metadata: metadata(error, sequence: work.entry.message.sequence))
        }
    }

    /// What ``compose(_:quarantined:)`` made of a message.
    enum Composed: Sendable {
        /// The message to hand to the transport.
        case mail(OutgoingMail)
        /// Not sent (expired, quarantined, no profile, not renderable): the update that
        /// records why (FAILED).
        case unsent(LedgerUpdate)
    }

    /// Renders and composes a message, or tells why it is not sent; synchronous (a
    /// chaining lane composes on its session's thread).
    func compose(_ work: Work, quarantined: Bool) -> Composed {
        let entry = work.entry
        let message = entry.message
        if let validUntil = delivery.schedule.validUntil, now() > validUntil {
            return .unsent(.failed(
                sequence: message.sequence, reason: .expired, attempts: entry.attempts,
                reply: "not sent before valid_until", time: now()
            ))
        }
        if quarantined {
            return .unsent(.failed(
                sequence: message.sequence, reason: .quarantined, attempts: entry.attempts,
                reply: "the address was quarantined after the preparation", time: now()
            ))
        }
        guard let profile = work.profile else {
            return .unsent(.failed(
                sequence: message.sequence, reason: .other, attempts: entry.attempts, reply: "the profile was deleted",
                time: now()
            ))
        }
        let rendered: RenderedMessage
        do {
            rendered = try compiled.render(profile, identity: message.identity)
        } catch {
            return .unsent(.failed(
                sequence: message.sequence, reason: .rejectedContent, attempts: entry.attempts, reply: error.reason,
                time: now()
            ))
        }
        return .mail(composer.compose(
            rendered, for: message, of: delivery,
            unsubscribeURL: options.url(.unsubscribe, trackingID: message.trackingID), date: now()
        ))
    }

    /// Commits what the transport said of a message; returns a retry after a 4xx.
    private func record(_ outcome: SendOutcome, of work: Work, committer: LedgerCommitter) async -> Completion {
        let entry = work.entry
        let message = entry.message
        var completion = Completion()
        let attempts = entry.attempts + 1
        do {
            switch outcome {
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

    /// `duration` in whole milliseconds (log figures).
    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    static func domain(_ entry: LedgerEntry) -> String {
        let address = entry.message.address
        guard let at = address.lastIndex(of: "@") else { return "" }
        return folded(String(address[address.index(after: at)...]))
    }

    /// ASCII lower case (how quarantines compare addresses).
    static func folded(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { return text }
        return String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    func metadata(_ error: any Error, sequence: Int? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["herald.delivery.id": "\(delivery.id)", "herald.error": "\(error)"]
        if let sequence { metadata["herald.message.sequence"] = "\(sequence)" }
        return metadata
    }
}
