public import Logging
import Synchronization

/// Every followed delivery's current KPI snapshot (``KPISnapshot``), fanned out to the
/// watchers of `WatchKpis`.
///
/// **Why a `final class` with a `Mutex` and not an actor.** The board is written to from
/// the tracking recorder's commit path (``EngagementObserver``, which must return at
/// once, thousands of times a second under load) and read by every watcher; each of
/// these is a few dictionary operations. A `Mutex` keeps them synchronous and short; an
/// actor would turn every engagement push into an enqueued task and every watcher
/// registration into a hop. Everything slow (store reads, gRPC writes) happens outside
/// the lock: the store reads in ``run()``'s poll, the writes in the watchers' own tasks.
///
/// **Following deliveries.** ``run()`` is the board's only loop. While somebody watches,
/// every ``Configuration/interval`` (100 ms) it reads each followed delivery once, no
/// matter how many watchers it has: its row (state, preparation KPIs), and, when it is
/// active (SCHEDULED, SENDING, PAUSED), just changed state, or its ledger changed
/// (``ledgerChanged(deliveryID:)``), its ``SendingProgressSource/progress(deliveryID:)``
/// (ledger counts, throughput). A followed delivery is one that has a watcher of its
/// own, or that is active while somebody watches every active delivery. Engagement
/// counts are read from the ``EngagementStore`` once when a delivery starts being
/// followed, then kept up to date by ``engagementChanged(deliveryID:counts:)``. After
/// each poll, every snapshot whose KPIs changed is posted once into the latest-value
/// slot of each of its watchers (``KPIWatch``): at most one snapshot per delivery per
/// interval, whatever the event rate, and the delay from a change to its publication is
/// at most one interval plus one poll. With no watcher, the loop sleeps.
public final class KPIBoard: EngagementObserver, Sendable {
    /// The states in which a delivery counts as active for watchers of every active delivery.
    public static let activeStates: Set<Delivery.State> = [.scheduled, .sending, .paused]

    private struct Entry {
        var delivery: Delivery?
        var state: Delivery.State?
        var counts: SendingCounts?
        var throughput: Double = 0
        var engagement: EngagementCounts?
        var published: KPISnapshot?
        var recount = true
        var lastCount: ContinuousClock.Instant?
        var deleted = false
        /// Listed as active by the last poll.
        var listedActive = false
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var watches: [ObjectIdentifier: KPIWatch] = [:]
        var single: [String: Set<ObjectIdentifier>] = [:]
        var all: Set<ObjectIdentifier> = []
        var stopped = false

        /// Whether the board still needs to follow a delivery.
        func isFollowed(_ id: String) -> Bool {
            if !(single[id]?.isEmpty ?? true) { return true }
            guard !all.isEmpty, let entry = entries[id] else { return false }
            return entry.state.map { KPIBoard.activeStates.contains($0) } ?? true
        }
    }

    private struct PollItem: Sendable {
        var id: String
        var known: Delivery?
        var lastState: Delivery.State?
        var recount: Bool
        var needsEngagement: Bool
    }

    private struct PollResult: Sendable {
        var id: String
        var delivery: Delivery?
        var progress: SendingProgress?
        var engagement: EngagementCounts?
        var deleted = false
        var listedActive = false
    }

    private let deliveries: any DeliveryStore
    private let progressSource: any SendingProgressSource
    private let engagementStore: (any EngagementStore)?
    private let configuration: Configuration
    private let now: @Sendable () -> Timestamp
    private let logger: Logger
    private let state = Mutex(State())
    private let clock = ContinuousClock()
    private let signal: AsyncStream<Void>.Continuation
    private let wakeups: AsyncStream<Void>

    /// Creates a board.
    ///
    /// - Parameters:
    ///   - progress: the sending progress (the ``SendingEngine``).
    ///   - engagement: the persisted tracking events; `nil` counts no engagement.
    ///   - now: the wall clock of the snapshots' update time.
    public init(
        deliveries: any DeliveryStore, progress: any SendingProgressSource, engagement: (any EngagementStore)?,
        configuration: Configuration = .defaults, now: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.deliveries = deliveries
        self.progressSource = progress
        self.engagementStore = engagement
        self.configuration = configuration
        self.now = now
        self.logger = logger
        (wakeups, signal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: Watching

    /// Watches one delivery (`deliveryID`) or every active one (`nil`) for the duration
    /// of `body`, which reads the ``KPIWatch``; the watch is removed, and its resources
    /// freed, as soon as `body` returns or throws.
    ///
    /// The current snapshot(s) come first: at once when the board already follows the
    /// delivery, else after the next poll. A watch of one delivery receives every change
    /// of that delivery whatever its state, and ends when it is deleted. A watch of every
    /// active delivery receives the snapshots of the deliveries that are SCHEDULED,
    /// SENDING or PAUSED, including each one's first snapshot in a state outside these
    /// (e.g. COMPLETED), after which that delivery is no longer sent.
    ///
    /// - Throws: ``HeraldError/Code/notFound`` when `deliveryID` names no delivery, or
    ///   what `body` throws.
    public func withWatch<R>(deliveryID: String?, _ body: (KPIWatch) async throws -> R) async throws -> R {
        if let deliveryID, try await deliveries.delivery(id: deliveryID) == nil {
            throw HeraldError.notFound("delivery '\(deliveryID)' not found")
        }
        let watch = add(deliveryID: deliveryID)
        defer { remove(watch) }
        return try await body(watch)
    }

    /// How many deliveries the board follows now.
    var followedCount: Int {
        state.withLock { $0.entries.count }
    }

    /// How many watches are open.
    public var watcherCount: Int {
        state.withLock { $0.watches.count }
    }

    func add(deliveryID: String?) -> KPIWatch {
        let watch = KPIWatch(deliveryID: deliveryID)
        let key = ObjectIdentifier(watch)
        let stopped = state.withLock { state -> Bool in
            guard !state.stopped else { return true }
            state.watches[key] = watch
            if let deliveryID {
                state.single[deliveryID, default: []].insert(key)
                if let snapshot = state.entries[deliveryID]?.published {
                    watch.post(snapshot)
                } else if state.entries[deliveryID] == nil {
                    state.entries[deliveryID] = Entry()
                }
            } else {
                state.all.insert(key)
                let active = state.entries.values.compactMap(\.published).filter { Self.activeStates.contains($0.state) }
                for snapshot in active.sorted(by: { $0.deliveryID < $1.deliveryID }) { watch.post(snapshot) }
            }
            return false
        }
        if stopped { watch.end(.shutdown) }
        signal.yield()
        return watch
    }

    func remove(_ watch: KPIWatch) {
        let key = ObjectIdentifier(watch)
        state.withLock { state in
            guard state.watches.removeValue(forKey: key) != nil else { return }
            if let id = watch.deliveryID {
                state.single[id]?.remove(key)
                if state.single[id]?.isEmpty ?? false { state.single[id] = nil }
                if !state.isFollowed(id) { state.entries[id] = nil }
            } else {
                state.all.remove(key)
                for id in state.entries.keys where !state.isFollowed(id) { state.entries[id] = nil }
            }
        }
        watch.end(.removed)
    }

    // MARK: EngagementObserver

    /// Keeps the new counts of a followed delivery; they are published at the next poll.
    public func engagementChanged(deliveryID: String, counts: EngagementCounts) {
        state.withLock { state in
            guard var entry = state.entries[deliveryID] else { return }
            entry.engagement = entry.engagement.map { $0.merged(with: counts) } ?? counts
            state.entries[deliveryID] = entry
        }
    }

    /// Has the ledger of a followed delivery counted again at the next poll.
    public func ledgerChanged(deliveryID: String) {
        state.withLock { state in
            state.entries[deliveryID]?.recount = true
        }
    }

    // MARK: Reading

    /// The current KPIs of a delivery (what `GetDelivery` returns): the board's snapshot
    /// when it follows the delivery, else read now from the progress source and the
    /// engagement store.
    ///
    /// - Throws: ``HeraldError`` from the stores.
    public func snapshot(of delivery: Delivery) async throws -> KPISnapshot {
        let time = now()
        let followed = state.withLock { state -> KPISnapshot? in
            guard let entry = state.entries[delivery.id], entry.published != nil else { return nil }
            return Self.makeSnapshot(id: delivery.id, entry, at: time)
        }
        if let followed { return followed }
        let progress = try await progressSource.progress(deliveryID: delivery.id)
        var engagement = EngagementCounts()
        if let engagementStore { engagement = try await engagementStore.engagementCounts(deliveryID: delivery.id) }
        return KPISnapshot(
            deliveryID: delivery.id, state: progress.state, targeted: delivery.preparation?.targeted ?? 0,
            toDeliver: delivery.preparation?.toDeliver ?? 0, ledger: progress.counts, engagement: engagement,
            throughput: progress.state == .sending ? progress.throughput : 0, updateTime: time
        )
    }

    // MARK: The loop

    /// Polls the followed deliveries every ``Configuration/interval`` while somebody
    /// watches, and publishes what changed; sleeps while nobody watches. Returns after
    /// ``stop()``, or when the calling task is cancelled (then it calls ``stop()``).
    public func run() async {
        var wakeups = self.wakeups.makeAsyncIterator()
        while !Task.isCancelled, !state.withLock({ $0.stopped }) {
            if state.withLock({ $0.watches.isEmpty }) {
                guard await wakeups.next() != nil else { break }
                continue
            }
            let start = clock.now
            await poll()
            do {
                try await Task.sleep(until: start.advanced(by: configuration.interval), clock: clock)
            } catch {
                break
            }
        }
        stop()
    }

    /// Ends every watch (``KPIWatch/EndReason/shutdown``) and refuses new ones (they end at
    /// once); ``run()`` returns at its next turn. Called when the server begins shutting
    /// down, so that the `WatchKpis` streams, which never end by themselves, do not hold up
    /// a graceful shutdown.
    public func stop() {
        let watches = state.withLock { state in
            state.stopped = true
            defer {
                state.watches.removeAll()
                state.single.removeAll()
                state.all.removeAll()
                state.entries.removeAll()
            }
            return Array(state.watches.values)
        }
        for watch in watches { watch.end(.shutdown) }
        signal.yield()
    }

    /// One poll: reads every followed delivery once, then publishes the changed snapshots.
    func poll() async {
        var active: [String: Delivery] = [:]
        if state.withLock({ !$0.all.isEmpty }) {
            do {
                for delivery in try await activeDeliveries() { active[delivery.id] = delivery }
            } catch {
                logger.warning("cannot list the active deliveries", metadata: ["herald.error": "\(error)"])
            }
        }
        let instant = clock.now
        let idle = configuration.idleRecountInterval
        let items = state.withLock { state -> [PollItem] in
            if !state.all.isEmpty {
                for id in active.keys where state.entries[id] == nil { state.entries[id] = Entry() }
            }
            return state.entries.map { id, entry in
                let due = entry.lastCount.map { instant - $0 >= idle } ?? true
                return PollItem(
                    id: id, known: active[id], lastState: entry.state, recount: entry.recount || entry.counts == nil || due,
                    needsEngagement: entry.engagement == nil
                )
            }
        }
        let results = await withTaskGroup(of: PollResult?.self) { group in
            for item in items { group.addTask { await self.read(item) } }
            var results: [PollResult] = []
            for await result in group { if let result { results.append(result) } }
            return results
        }
        publish(results, countedAt: instant)
    }

    private func read(_ item: PollItem) async -> PollResult? {
        var result = PollResult(id: item.id, listedActive: item.known != nil)
        do {
            var delivery = item.known
            if delivery == nil { delivery = try await deliveries.delivery(id: item.id) }
            guard let delivery else {
                result.deleted = true
                return result
            }
            result.delivery = delivery
            if item.recount || Self.activeStates.contains(delivery.state) || delivery.state != item.lastState {
                result.progress = try await progressSource.progress(deliveryID: item.id)
            }
            if item.needsEngagement {
                if let engagementStore {
                    result.engagement = try await engagementStore.engagementCounts(deliveryID: item.id)
                } else {
                    result.engagement = EngagementCounts()
                }
            }
            return result
        } catch let error as HeraldError where error.code == .notFound {
            result.deleted = true
            return result
        } catch {
            logger.warning("cannot read a delivery's KPIs", metadata: ["herald.delivery.id": "\(item.id)", "herald.error": "\(error)"])
            return nil
        }
    }

    private func publish(_ results: [PollResult], countedAt instant: ContinuousClock.Instant) {
        let time = now()
        var posts: [(KPIWatch, KPISnapshot)] = []
        var ended: [KPIWatch] = []
        state.withLock { state in
            for result in results {
                guard var entry = state.entries[result.id] else { continue }
                if result.deleted {
                    entry.deleted = true
                } else {
                    entry.listedActive = result.listedActive
                    if let delivery = result.delivery {
                        entry.delivery = delivery
                        entry.state = delivery.state
                    }
                    if let progress = result.progress {
                        entry.state = progress.state
                        entry.counts = progress.counts
                        entry.throughput = progress.throughput
                        entry.lastCount = instant
                        entry.recount = false
                    }
                    if let engagement = result.engagement {
                        entry.engagement = entry.engagement.map { $0.merged(with: engagement) } ?? engagement
                    }
                }
                state.entries[result.id] = entry
            }
            for (id, entry) in state.entries {
                if entry.deleted {
                    for key in state.single[id] ?? [] {
                        if let watch = state.watches.removeValue(forKey: key) { ended.append(watch) }
                    }
                    state.single[id] = nil
                    state.entries[id] = nil
                    continue
                }
                guard let snapshot = Self.makeSnapshot(id: id, entry, at: time) else { continue }
                let previous = entry.published
                if previous.map({ !snapshot.hasSameKPIs(as: $0) }) ?? true {
                    state.entries[id]?.published = snapshot
                    for key in state.single[id] ?? [] {
                        if let watch = state.watches[key] { posts.append((watch, snapshot)) }
                    }
                    // Every active delivery's snapshots, and its first one after it left the
                    // active states, even when it went through them between two polls
                    // (READY, then COMPLETED: only SENDING leads to a final state).
                    let wasActive = previous.map { Self.activeStates.contains($0.state) } ?? false
                    let passedActive = snapshot.state.isFinal && previous.map { !$0.state.isFinal } ?? false
                    if Self.activeStates.contains(snapshot.state) || wasActive || passedActive || entry.listedActive {
                        for key in state.all {
                            if let watch = state.watches[key] { posts.append((watch, snapshot)) }
                        }
                    }
                }
                if !state.isFollowed(id) { state.entries[id] = nil }
            }
        }
        for (watch, snapshot) in posts { watch.post(snapshot) }
        for watch in ended { watch.end(.deleted) }
    }

    private func activeDeliveries() async throws -> [Delivery] {
        var result: [Delivery] = []
        var after: String?
        repeat {
            let page = try await deliveries.listDeliveries(states: Self.activeStates, after: after, limit: 500)
            result += page.items
            after = page.nextCursor
        } while after != nil
        return result
    }

    private static func makeSnapshot(id: String, _ entry: Entry, at time: Timestamp) -> KPISnapshot? {
        guard let delivery = entry.delivery, let state = entry.state, let counts = entry.counts else { return nil }
        return KPISnapshot(
            deliveryID: id, state: state, targeted: delivery.preparation?.targeted ?? 0,
            toDeliver: delivery.preparation?.toDeliver ?? 0, ledger: counts, engagement: entry.engagement ?? EngagementCounts(),
            throughput: state == .sending ? entry.throughput : 0, updateTime: time
        )
    }
}
