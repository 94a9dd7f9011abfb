public import Logging

/// Prepares deliveries in the background (API.md, "Preparation"): targeting, typology
/// rules, personalization and control checks, KPIs and logs; never sends anything.
///
/// One run at most per delivery. ``prepare(deliveryID:)`` moves a delivery to PREPARING
/// and starts a run in a task the engine owns; the run ends the delivery READY or
/// PREPARATION_FAILED and stores its summary in ``Delivery/preparation``.
/// ``stop(deliveryID:)`` cancels it (cancellation is checked after every batch, so a
/// stop takes effect within one batch) and returns the delivery to DRAFT with nothing
/// kept but a log entry. ``watch(deliveryID:)`` and ``progress(deliveryID:)`` observe it.
/// ``shutdown()`` stops every run; call it before dropping the engine.
///
/// Memory: profiles are read in batches of ``Configuration/batchSize``; what is held for
/// the whole run is the list of profiles that passed the address checks (id, address,
/// a key and a few words of facts: about 100 bytes a profile) and a 16-byte key per
/// distinct address for the duplicate check.
public actor PreparationEngine {
    /// How the engine works.
    public struct Configuration: Sendable {
        /// Profiles read, written or rendered per batch; cancellation is checked after each.
        public var batchSize: Int
        /// Threads rendering messages (and sorting control groups) in parallel, off the
        /// cooperative pool; at most one per core, shared by the engine's runs.
        public var renderConcurrency: Int
        /// The base URL of the tracking endpoint (see ``RenderingOptions/trackingBaseURL``).
        public var trackingBaseURL: String
        /// Personalization errors logged one by one; the rest are summed up in one entry.
        public var maxLoggedProfileErrors: Int
        /// A message larger than this, in bytes, is a WARNING (35 KB).
        public var warningMessageSize: Int
        /// A message larger than this, in bytes, is an ERROR (60 KB).
        public var maxMessageSize: Int

        /// Batches of 5,000, 2 render threads, tracking at `http://localhost:8090`, 100
        /// logged personalization errors, 35 KB and 60 KB size limits.
        public static var defaults: Configuration {
            Configuration(
                batchSize: 5_000, renderConcurrency: 2, trackingBaseURL: "http://localhost:8090",
                maxLoggedProfileErrors: 100, warningMessageSize: 35 * 1024, maxMessageSize: 60 * 1024
            )
        }

        /// Creates a configuration.
        public init(
            batchSize: Int, renderConcurrency: Int, trackingBaseURL: String, maxLoggedProfileErrors: Int,
            warningMessageSize: Int, maxMessageSize: Int
        ) {
            self.batchSize = batchSize
            self.renderConcurrency = renderConcurrency
            self.trackingBaseURL = trackingBaseURL
            self.maxLoggedProfileErrors = maxLoggedProfileErrors
            self.warningMessageSize = warningMessageSize
            self.maxMessageSize = maxMessageSize
        }
    }

    private struct Entry {
        let run: PreparationRun
        let task: Task<Void, Never>
    }

    private let deliveries: any DeliveryStore
    private let store: any PreparationStore
    private let renderer: any MessageRenderer
    private let signer: any TrackingTokenSigner
    private let configuration: Configuration
    private let now: @Sendable () -> Timestamp
    private let logger: Logger
    private let threads: PreparationThreads
    private var entries: [String: Entry] = [:]
    /// The starts in progress (between PrepareDelivery's checks and its run's creation).
    private var starting: [String: Task<Delivery, any Error>] = [:]

    /// Creates an engine.
    ///
    /// - Parameters:
    ///   - deliveries: where deliveries are read and their state and summary written.
    ///   - store: where targets are read and results kept.
    ///   - renderer: the template language.
    ///   - signer: makes tracking tokens (``UnsignedTrackingTokens`` until the tracking
    ///     issue brings the signed one).
    ///   - now: the wall clock (timestamps of log entries and summaries, pressure periods).
    public init(
        deliveries: any DeliveryStore, store: any PreparationStore, renderer: any MessageRenderer,
        signer: any TrackingTokenSigner = UnsignedTrackingTokens(), configuration: Configuration = .defaults,
        now: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.deliveries = deliveries
        self.store = store
        self.renderer = renderer
        self.signer = signer
        self.configuration = configuration
        self.now = now
        self.logger = logger
        threads = PreparationThreads(count: configuration.renderConcurrency)
    }

    /// Whether the caller runs on one of the threads engines render on (for tests and
    /// diagnostics: rendering never runs on Swift's cooperative pool).
    public static var isOnPreparationThread: Bool { PreparationThreads.isCurrent }

    /// The rendering options of a delivery's messages, at preparation and at send time.
    public func renderingOptions(for delivery: Delivery) -> RenderingOptions {
        RenderingOptions(trackingBaseURL: configuration.trackingBaseURL, trackingEnabled: delivery.trackingEnabled, signer: signer)
    }

    /// Starts preparing a delivery and returns it in PREPARING; while a run of it is
    /// going on, returns the delivery without starting another.
    ///
    /// - Throws: ``HeraldError/Code/notFound``, or ``HeraldError/Code/failedPrecondition``
    ///   when the delivery's state does not allow preparing.
    public func prepare(deliveryID: String) async throws -> Delivery {
        // The actor is reentrant: every await below lets another call in. A run that is
        // recording its end is waited for (starting another now would race its final
        // update), and a start in progress is joined (two calls never start two runs).
        while true {
            if let starting = starting[deliveryID] { return try await starting.value }
            guard let entry = entries[deliveryID] else { break }
            let (final, finishing) = entry.run.withState { ($0.state.isFinal, $0.finishing) }
            if final { break }
            if !finishing {
                guard let delivery = try await deliveries.delivery(id: deliveryID) else {
                    throw HeraldError.notFound("delivery '\(deliveryID)' not found")
                }
                return delivery
            }
            await entry.task.value
        }
        let task = Task { try await self.start(deliveryID) }
        starting[deliveryID] = task
        defer { starting[deliveryID] = nil }
        return try await task.value
    }

    /// Moves a delivery to PREPARING and starts its run.
    private func start(_ deliveryID: String) async throws -> Delivery {
        let start = now()
        let delivery = try await deliveries.updateDelivery(id: deliveryID) { delivery in
            let wasPreparing = delivery.state == .preparing
            delivery.state = try delivery.state.applying(.prepare)
            if !wasPreparing || delivery.preparation == nil {
                delivery.preparation = Delivery.PreparationSummary(
                    snapshotHash: delivery.snapshotHash, startTime: start, state: .running
                )
            }
            delivery.updateTime = start
        }
        // A delivery left PREPARING without a run (a restart) is prepared again.
        let run = PreparationRun(deliveryID: deliveryID, startTime: delivery.preparation?.startTime ?? start, now: now)
        let job = PreparationJob(
            delivery: delivery, run: run, store: store, renderer: renderer, options: renderingOptions(for: delivery),
            configuration: configuration, threads: threads, now: now, logger: logger
        )
        let task = Task {
            let outcome = await job.execute()
            await self.jobEnded(run, delivery: delivery, outcome: outcome)
        }
        entries[deliveryID] = Entry(run: run, task: task)
        logger.info("preparation started", metadata: ["herald.delivery.id": "\(deliveryID)"])
        return delivery
    }

    /// Records the end of a run that was not stopped.
    private func jobEnded(_ run: PreparationRun, delivery prepared: Delivery, outcome: PreparationJob.Outcome) async {
        let proceed = run.withState { state -> Bool in
            guard !state.stopRequested else { return false }
            state.finishing = true
            return true
        }
        guard proceed else { return }
        let (final, kpis): (PreparationState, PreparationKPIs)
        switch outcome {
        case .finished(let state, let k): (final, kpis) = (state, k)
        case .cancelled: (final, kpis) = (.failed, PreparationKPIs())
        }
        let (errors, warnings, phase) = run.withState { ($0.errorCount, $0.warningCount, $0.phase) }
        let end = now()
        do {
            _ = try await deliveries.updateDelivery(id: prepared.id) { delivery in
                delivery.state = try delivery.state.applying(final == .succeeded ? .preparationSucceeded : .preparationFailed)
                delivery.preparation = Delivery.PreparationSummary(
                    targeted: kpis.targeted, toDeliver: kpis.toDeliver, toExclude: kpis.toExclude, errorCount: errors,
                    warningCount: warnings, snapshotHash: prepared.snapshotHash, startTime: run.startTime, endTime: end,
                    state: final, phase: phase, exclusionCounts: kpis.exclusionCounts
                )
                delivery.updateTime = end
            }
        } catch {
            logger.error(
                "cannot record the end of a preparation",
                metadata: ["herald.delivery.id": "\(prepared.id)", "herald.error": "\(error)"]
            )
        }
        run.finish(final, kpis: kpis)
        logger.info(
            "preparation ended",
            metadata: [
                "herald.delivery.id": "\(prepared.id)", "herald.preparation.state": "\(final)",
                "herald.preparation.targeted": "\(kpis.targeted)", "herald.preparation.to_deliver": "\(kpis.toDeliver)",
            ]
        )
    }

    /// Stops a delivery's preparation and returns the delivery in DRAFT: the run's
    /// exclusions, log entries and messages are discarded and one log entry says it was
    /// stopped. Returns once the run has ended (within one batch).
    ///
    /// A delivery left PREPARING by a restart (no run in this process) is reset the same way.
    ///
    /// - Throws: ``HeraldError/Code/notFound``, or ``HeraldError/Code/failedPrecondition``
    ///   when the delivery is not PREPARING (for instance, the run just ended).
    public func stop(deliveryID: String) async throws -> Delivery {
        var phase: PreparationPhase?
        var startTime: Timestamp?
        if let entry = entries[deliveryID] {
            let stopping = entry.run.withState { state -> Bool in
                guard !state.state.isFinal, !state.finishing else { return false }
                state.stopRequested = true
                return true
            }
            if stopping {
                let requested = ContinuousClock.now
                entry.task.cancel()
                await entry.task.value
                phase = entry.run.withState { $0.phase }
                startTime = entry.run.startTime
                logger.info(
                    "preparation stopped",
                    metadata: ["herald.delivery.id": "\(deliveryID)", "herald.stop.latency": "\(ContinuousClock.now - requested)"]
                )
                do {
                    return try await reset(deliveryID, run: entry.run, phase: phase, startTime: startTime, code: PreparationLogCode.stopped)
                } catch {
                    // The run has ended either way: its watchers must end too (they would
                    // wait forever for a final snapshot), and a later PrepareDelivery must
                    // not take it for a live run. The delivery, if still PREPARING, is
                    // reset by the next stop or at the next start.
                    entry.run.finish(.stopped, kpis: PreparationKPIs())
                    throw error
                }
            }
        }
        return try await reset(deliveryID, run: nil, phase: nil, startTime: nil, code: PreparationLogCode.stopped)
    }

    /// Moves a PREPARING delivery to DRAFT, keeping one log entry.
    private func reset(
        _ deliveryID: String, run: PreparationRun?, phase: PreparationPhase?, startTime: Timestamp?, code: String
    ) async throws -> Delivery {
        guard let current = try await deliveries.delivery(id: deliveryID) else {
            throw HeraldError.notFound("delivery '\(deliveryID)' not found")
        }
        _ = try current.state.applying(.stopPreparation)
        let end = now()
        let message = code == PreparationLogCode.stopped
            ? "The preparation was stopped by request" + (phase.map { " during \($0)" } ?? "") + "; nothing was kept."
            : "The preparation was interrupted by a restart of the service; nothing was kept."
        let entry = PreparationLogEntry(sequence: 1, time: end, severity: .info, code: code, message: message, phase: phase)
        try await store.discardPreparation(deliveryID: deliveryID)
        try await store.appendLogEntries([entry], deliveryID: deliveryID)
        let delivery = try await deliveries.updateDelivery(id: deliveryID) { delivery in
            delivery.state = try delivery.state.applying(.stopPreparation)
            delivery.preparation = Delivery.PreparationSummary(
                snapshotHash: delivery.snapshotHash, startTime: startTime ?? delivery.preparation?.startTime, endTime: end,
                state: .stopped, phase: phase
            )
            delivery.updateTime = end
        }
        run?.finish(.stopped, replacingLogWith: [entry], kpis: PreparationKPIs())
        return delivery
    }

    /// The current snapshot of a delivery's preparation, with every log entry of the run
    /// in ``PreparationProgress/newLogEntries`` (none when the run is not in this process).
    ///
    /// - Throws: ``HeraldError/Code/notFound``.
    public func progress(deliveryID: String) async throws -> PreparationProgress {
        if let entry = entries[deliveryID] { return entry.run.snapshot(logCursor: 0).0 }
        return try await storedProgress(deliveryID)
    }

    /// Watches a delivery's preparation: the current snapshot first, then one per change,
    /// ending after the final one. A delivery whose run is over (or not in this process)
    /// gives one snapshot: the run's last one (with its log entries) or its summary.
    ///
    /// - Throws: ``HeraldError/Code/notFound``; ``HeraldError/Code/failedPrecondition``
    ///   when the delivery has no current preparation: never prepared, or changed since
    ///   its last preparation ended (back to DRAFT, the results discarded as stale): the
    ///   old run's outcome is no longer its state.
    public func watch(deliveryID: String) async throws -> PreparationWatch {
        if let entry = entries[deliveryID] {
            if !entry.run.withState({ $0.state.isFinal }) { return PreparationWatch(run: entry.run) }
            guard let delivery = try await deliveries.delivery(id: deliveryID) else {
                throw HeraldError.notFound("delivery '\(deliveryID)' not found")
            }
            try Self.requireCurrentPreparation(delivery)
            // A new run may have started meanwhile: watch whichever is there now.
            if let current = entries[deliveryID] { return PreparationWatch(run: current.run) }
        }
        return PreparationWatch(final: try await storedProgress(deliveryID))
    }

    /// - Throws: ``HeraldError/Code/failedPrecondition`` when the delivery's last
    ///   preparation is stale: it ended READY or FAILED and the delivery was changed since
    ///   (it is DRAFT again).
    private static func requireCurrentPreparation(_ delivery: Delivery) throws {
        guard delivery.state == .draft, let summary = delivery.preparation,
              summary.state == .succeeded || summary.state == .failed
        else { return }
        throw HeraldError.failedPrecondition(
            "delivery '\(delivery.id)' was changed since its last preparation: it has no current preparation"
        )
    }

    private func storedProgress(_ deliveryID: String) async throws -> PreparationProgress {
        guard let delivery = try await deliveries.delivery(id: deliveryID) else {
            throw HeraldError.notFound("delivery '\(deliveryID)' not found")
        }
        guard let summary = delivery.preparation else {
            throw HeraldError.failedPrecondition("delivery '\(deliveryID)' has never been prepared")
        }
        try Self.requireCurrentPreparation(delivery)
        return PreparationProgress(
            deliveryID: deliveryID, state: summary.state == .running ? .failed : summary.state, phase: summary.phase,
            kpis: summary.kpis, errorCount: summary.errorCount, warningCount: summary.warningCount,
            updateTime: summary.endTime ?? delivery.updateTime
        )
    }

    /// Waits until the current run of a delivery, if any, has ended.
    public func waitUntilFinished(deliveryID: String) async {
        await entries[deliveryID]?.task.value
    }

    /// Returns deliveries left PREPARING by a previous process (no run here) to DRAFT,
    /// each with a log entry saying it was interrupted; returns their ids. Call at startup.
    public func recoverInterrupted() async throws -> [String] {
        var recovered: [String] = []
        var cursor: String?
        repeat {
            let page = try await deliveries.listDeliveries(states: [.preparing], after: cursor, limit: 100)
            for delivery in page.items where entries[delivery.id] == nil {
                _ = try await reset(
                    delivery.id, run: nil, phase: delivery.preparation?.phase, startTime: nil, code: PreparationLogCode.interrupted
                )
                recovered.append(delivery.id)
            }
            cursor = page.nextCursor
        } while cursor != nil
        return recovered
    }

    /// Stops every running preparation (each delivery back to DRAFT) and waits for them.
    public func shutdown() async {
        for (id, entry) in entries where !entry.run.withState({ $0.state.isFinal }) {
            do {
                _ = try await stop(deliveryID: id)
            } catch {
                await entry.task.value
            }
        }
    }
}
