public import Logging

/// Sends prepared deliveries (API.md, "Sending") and keeps the ledger.
///
/// ``send(deliveryID:)`` checks that a READY delivery still matches its prepared snapshot
/// and starts SENDING, or arms a timer for its send time (SCHEDULED). A run hands the
/// PENDING messages to the ``MailTransport`` (at most ``Configuration/maxInFlight`` at once,
/// at most ``Configuration/maxPerDomain`` per recipient domain, and the delivery's
/// `rate_limit_per_second`) and moves each row to SENT or FAILED only after the relay
/// answered. Outcomes are group-committed (one transaction for the outcomes that arrive
/// while the previous one is written), and a message counts as in flight until its
/// outcome is committed: a crash resends at most ``Configuration/maxInFlight`` messages,
/// and readers always see `sent + failed + pending + cancelled = to_deliver`.
///
/// Replies: 2xx → SENT. 4xx → the message is retried after a growing, capped wait
/// (``Configuration/retryBase``, ``Configuration/retryCap``) until
/// ``Configuration/maxAttempts`` (then FAILED, TRANSIENT_EXHAUSTED), and its domain gets no
/// message for a while (``Configuration/domainBackoffBase``, doubled per further 4xx, capped
/// by ``Configuration/domainBackoffCap``, reset by a 2xx). No reply (connection refused or
/// lost, timeout) or 421: the relay backs off the same way and the message waits for it
/// without using up its attempts (it expires at `valid_until`). 5xx → FAILED with the
/// reason mapped from the reply.
///
/// Quarantine: a hard failure (USER_UNKNOWN, INVALID_DOMAIN) quarantines the address at
/// once; a soft failure (a message FAILED with TRANSIENT_EXHAUSTED or MAILBOX_FULL)
/// quarantines it when it is the ``Configuration/quarantineThreshold``-th soft failure of
/// that address (any delivery, case-insensitive) within ``Configuration/quarantineWindow``
/// (3 within 30 days by default). The next preparation excludes a quarantined address
/// (cause 9), and a run checks each batch it reads: a message whose address was
/// quarantined after the preparation is FAILED with QUARANTINED instead of being sent.
///
/// ``pause(deliveryID:)`` stops handing out messages and returns once none is in flight;
/// ``resume(deliveryID:)`` starts a new run over what is still PENDING;
/// ``cancel(deliveryID:)`` is final. ``recover()`` resumes what a previous process left
/// SENDING and re-arms SCHEDULED deliveries; ``shutdown()`` stops every run. The
/// throughput in ``progress(deliveryID:)`` is the last 5 seconds' (``ThroughputWindow``).
public actor SendingEngine {
    private struct Entry {
        let run: SendingRun
        let task: Task<Void, Never>
    }

    private let deliveries: any DeliveryStore
    private let store: any SendingStore
    private let preparations: any PreparationStore
    private let profiles: any ProfileStore
    private let renderer: any MessageRenderer
    private let preparationEngine: PreparationEngine
    private let transport: any MailTransport
    private let composer: any MessageComposer
    private let configuration: Configuration
    private let now: @Sendable () -> Timestamp
    private let logger: Logger
    private var runs: [String: Entry] = [:]
    private var timers: [String: Task<Void, Never>] = [:]
    private var shuttingDown = false

    /// Creates an engine.
    ///
    /// - Parameters:
    ///   - preparationEngine: gives the rendering options, the same as at preparation.
    ///   - transport: the relays; `composer` builds the MIME messages.
    ///   - now: the wall clock (ledger timestamps, schedules).
    public init(
        deliveries: any DeliveryStore, store: any SendingStore, preparations: any PreparationStore,
        profiles: any ProfileStore, renderer: any MessageRenderer, preparationEngine: PreparationEngine,
        transport: any MailTransport, composer: any MessageComposer, configuration: Configuration = .defaults,
        now: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.deliveries = deliveries
        self.store = store
        self.preparations = preparations
        self.profiles = profiles
        self.renderer = renderer
        self.preparationEngine = preparationEngine
        self.transport = transport
        self.composer = composer
        self.configuration = configuration
        self.now = now
        self.logger = logger
    }

    // MARK: Commands

    /// Starts sending a READY delivery whose content, audience and rules still match the
    /// preparation: SENDING now, or SCHEDULED when its send time is in the future.
    ///
    /// - Throws: ``HeraldError/Code/notFound``, or ``HeraldError/Code/failedPrecondition``
    ///   when it is not READY or the preparation is stale.
    public func send(deliveryID: String) async throws -> Delivery {
        let time = now()
        let delivery = try await deliveries.updateDelivery(id: deliveryID) { delivery in
            let next = try delivery.state.applying(.send(sendTime: delivery.schedule.sendTime, now: time))
            guard let preparation = delivery.preparation, preparation.state == .succeeded else {
                throw HeraldError.failedPrecondition("delivery '\(delivery.id)' has no successful preparation")
            }
            guard preparation.snapshotHash == delivery.snapshotHash else {
                throw HeraldError.failedPrecondition(
                    "delivery '\(delivery.id)' changed since it was prepared (stale snapshot): prepare it again"
                )
            }
            delivery.state = next
            delivery.updateTime = time
        }
        if delivery.state == .scheduled {
            arm(delivery)
        } else {
            try await startRun(delivery)
        }
        logger.info("sending \(delivery.state == .scheduled ? "scheduled" : "started")", metadata: ["herald.delivery.id": "\(deliveryID)"])
        return delivery
    }

    /// Pauses a SENDING delivery: stops handing out messages and returns once none is in
    /// flight, with the delivery in PAUSED and how many messages were in flight.
    public func pause(deliveryID: String) async throws -> (delivery: Delivery, inFlight: Int) {
        try await require(deliveryID, in: [.sending], verb: "pause")
        var inFlight = 0
        if let entry = runs[deliveryID] {
            inFlight = entry.run.requestStop(.pause) ?? 0
            await entry.task.value
        }
        let time = now()
        let delivery = try await deliveries.updateDelivery(id: deliveryID) { delivery in
            delivery.state = try delivery.state.applying(.pause)
            delivery.updateTime = time
        }
        return (delivery, inFlight)
    }

    /// Resumes a PAUSED delivery over its PENDING messages (none is sent twice).
    public func resume(deliveryID: String) async throws -> Delivery {
        let time = now()
        let delivery = try await deliveries.updateDelivery(id: deliveryID) { delivery in
            delivery.state = try delivery.state.applying(.resume)
            delivery.updateTime = time
        }
        try await startRun(delivery)
        return delivery
    }

    /// Cancels a SCHEDULED, SENDING or PAUSED delivery for good: waits for the messages
    /// in flight, moves the PENDING rows to CANCELLED, then the delivery; returns how many.
    public func cancel(deliveryID: String) async throws -> (delivery: Delivery, cancelled: Int) {
        try await require(deliveryID, in: [.scheduled, .sending, .paused], verb: "cancel")
        timers.removeValue(forKey: deliveryID)?.cancel()
        if let entry = runs[deliveryID] {
            _ = entry.run.requestStop(.cancel)
            await entry.task.value
        }
        let time = now()
        // The rows first, then the state: a reader in between sees the delivery not yet
        // CANCELLED with nothing PENDING (the invariant holds), never CANCELLED with rows
        // still PENDING (a watcher ends at the final state: its last counts must be final).
        let cancelled = try await store.cancelPending(deliveryID: deliveryID, at: time)
        let delivery = try await deliveries.updateDelivery(id: deliveryID) { delivery in
            delivery.state = try delivery.state.applying(.cancel)
            delivery.updateTime = time
        }
        logger.info("sending cancelled", metadata: ["herald.delivery.id": "\(deliveryID)", "herald.cancelled": "\(cancelled)"])
        return (delivery, cancelled)
    }

    /// The current state, counts, throughput and estimated completion of a delivery.
    public func progress(deliveryID: String) async throws -> SendingProgress {
        guard let delivery = try await deliveries.delivery(id: deliveryID) else {
            throw HeraldError.notFound("delivery '\(deliveryID)' not found")
        }
        // A running delivery's counts are the run's (kept as committed): no count of the rows.
        let running = delivery.state == .sending ? runs[deliveryID]?.run : nil
        let counts: SendingCounts
        if let kept = running?.counts {
            counts = kept
        } else {
            counts = try await store.sendingCounts(deliveryID: deliveryID)
        }
        let time = now()
        var progress = SendingProgress(deliveryID: deliveryID, state: delivery.state, counts: counts, updateTime: time)
        if delivery.state == .sending, let run = runs[deliveryID]?.run {
            progress.throughput = run.throughput
            if progress.throughput > 0 {
                let seconds = Double(counts.pending) / progress.throughput
                progress.estimatedCompletion = Timestamp(
                    microsecondsSinceEpoch: time.microsecondsSinceEpoch + Int64(seconds * 1_000_000)
                )
            }
        }
        return progress
    }

    /// Resumes the deliveries a previous process left SENDING and re-arms SCHEDULED ones;
    /// returns their ids.
    public func recover() async throws -> [String] {
        var recovered: [String] = []
        var after: String?
        repeat {
            let page = try await deliveries.listDeliveries(states: [.sending, .scheduled], after: after, limit: 500)
            for delivery in page.items {
                if delivery.state == .scheduled { arm(delivery) } else { try await startRun(delivery) }
                recovered.append(delivery.id)
            }
            after = page.nextCursor
        } while after != nil
        return recovered
    }

    /// Stops every run (they stay SENDING and resume at the next start) and timer.
    public func shutdown() async {
        shuttingDown = true
        for timer in timers.values { timer.cancel() }
        timers.removeAll()
        for entry in runs.values {
            _ = entry.run.requestStop(.shutdown)
            await entry.task.value
        }
        runs.removeAll()
    }

    // MARK: Runs

    private func require(_ deliveryID: String, in states: Set<Delivery.State>, verb: String) async throws {
        guard let delivery = try await deliveries.delivery(id: deliveryID) else {
            throw HeraldError.notFound("delivery '\(deliveryID)' not found")
        }
        guard states.contains(delivery.state) else {
            let final = delivery.state.isFinal ? ": the state is final" : ""
            throw HeraldError.failedPrecondition("cannot \(verb) a delivery in state \(delivery.state)\(final)")
        }
    }

    private func startRun(_ delivery: Delivery) async throws {
        guard !shuttingDown, runs[delivery.id] == nil else { return }
        let compiled: any CompiledMessage
        let options = await preparationEngine.renderingOptions(for: delivery)
        do {
            compiled = try renderer.compile(delivery.content, options: options)
        } catch {
            logger.error("cannot compile a delivery's content", metadata: ["herald.delivery.id": "\(delivery.id)", "herald.error": "\(error)"])
            try await finish(delivery.id, with: .fail)
            return
        }
        let run = SendingRun(deliveryID: delivery.id)
        let job = SendingJob(
            delivery: delivery, run: run, store: store, preparations: preparations, profiles: profiles, compiled: compiled,
            options: options, transport: transport, composer: composer, configuration: configuration, now: now,
            logger: logger
        )
        let task = Task {
            let outcome = await job.execute()
            await self.runEnded(run, outcome: outcome)
        }
        runs[delivery.id] = Entry(run: run, task: task)
    }

    private func runEnded(_ run: SendingRun, outcome: SendingJob.Outcome) async {
        if runs[run.deliveryID]?.run === run { runs[run.deliveryID] = nil }
        do {
            switch outcome {
            case .completed:
                try await finish(run.deliveryID, with: .complete)
                logger.info("sending completed", metadata: ["herald.delivery.id": "\(run.deliveryID)"])
            case .failed:
                try await finish(run.deliveryID, with: .fail)
            case .stopped:
                break
            }
        } catch {
            logger.error("cannot record the end of a sending", metadata: ["herald.delivery.id": "\(run.deliveryID)", "herald.error": "\(error)"])
        }
    }

    private func finish(_ deliveryID: String, with event: Delivery.Event) async throws {
        let time = now()
        _ = try await deliveries.updateDelivery(id: deliveryID) { delivery in
            delivery.state = try delivery.state.applying(event)
            delivery.updateTime = time
        }
    }

    /// Starts a SCHEDULED delivery at its send time.
    private func arm(_ delivery: Delivery) {
        guard !shuttingDown else { return }
        timers[delivery.id]?.cancel()
        let wait = (delivery.schedule.sendTime?.microsecondsSinceEpoch ?? 0) - now().microsecondsSinceEpoch
        let id = delivery.id
        timers[id] = Task {
            if wait > 0 { try? await Task.sleep(for: .microseconds(wait)) }
            guard !Task.isCancelled else { return }
            await self.scheduleReached(id)
        }
    }

    private func scheduleReached(_ deliveryID: String) async {
        timers[deliveryID] = nil
        do {
            let time = now()
            let delivery = try await deliveries.updateDelivery(id: deliveryID) { delivery in
                delivery.state = try delivery.state.applying(.scheduleReached)
                delivery.updateTime = time
            }
            try await startRun(delivery)
        } catch {
            logger.error("cannot start a scheduled delivery", metadata: ["herald.delivery.id": "\(deliveryID)", "herald.error": "\(error)"])
        }
    }
}
