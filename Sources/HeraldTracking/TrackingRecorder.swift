import Dispatch
import Foundation
public import HeraldCore
public import Logging
import Synchronization

/// The single writer of tracking events: callers hand events in and wait; one loop on a
/// dedicated thread (``run()``) takes everything queued, persists it in one transaction
/// (group commit), answers each caller with its events' outcomes, then tells the
/// ``EngagementObserver``. While a transaction runs, new events queue up for the next one,
/// so batches grow with the load and no timer delays a lone event. The loop has its own
/// thread so that the blocking commit never occupies Swift concurrency's pool and the
/// next transaction never waits behind the request handlers for a pool thread.
///
/// Events are persisted before they count: a caller's answer, and the observer's call,
/// come after the commit.
public final class TrackingRecorder: Sendable {
    /// How the recorder batches and classifies.
    public struct Configuration: Sendable {
        /// The most events in one transaction.
        public var maxBatchSize: Int
        /// An open at most this many seconds after the message's send time counts as a
        /// machine open (mail servers and privacy proxies fetch images on receipt).
        public var machineOpenWindowSeconds: Int

        /// 4,096 events per transaction, a 5-second machine-open window.
        public static var defaults: Configuration { Configuration(maxBatchSize: 4_096, machineOpenWindowSeconds: 5) }

        /// Creates a configuration.
        public init(maxBatchSize: Int, machineOpenWindowSeconds: Int) {
            self.maxBatchSize = maxBatchSize
            self.machineOpenWindowSeconds = machineOpenWindowSeconds
        }
    }

    /// Who waits for a group of events: an async caller, or a callback (the open-pixel
    /// fast path of the tracking endpoint, which answers on its event loop).
    private enum Waiter {
        case continuation(CheckedContinuation<[TrackingBatchResult.Outcome], any Error>)
        case callback(@Sendable (Result<TrackingBatchResult.Outcome, any Error>) -> Void)

        func resume(_ result: Result<ArraySlice<TrackingBatchResult.Outcome>, any Error>) {
            switch self {
            case .continuation(let continuation):
                continuation.resume(with: result.map(Array.init))
            case .callback(let callback):
                callback(result.map { $0.first ?? .unknownMessage })
            }
        }
    }

    private struct Pending {
        var events: [TrackingEvent]
        var waiter: Waiter
    }

    private struct State {
        var pending: [Pending] = []
        var pendingEvents = 0
        /// The writer thread waits on ``wakeUp``; whoever sets this back to false signals it.
        var writerSleeping = false
        var finished = false
        /// Transactions and events committed so far (logged at shutdown).
        var transactions = 0
        var committedEvents = 0
    }

    private let store: any TrackingEventStore
    private let observer: any EngagementObserver
    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    /// Creates a recorder over `store` that tells `observer` about every change.
    public init(store: any TrackingEventStore, observer: any EngagementObserver, configuration: Configuration = .defaults, logger: Logger) {
        self.store = store
        self.observer = observer
        self.configuration = configuration
        self.logger = logger
    }

    /// Records one event; returns once it is committed (or was refused as unknown).
    ///
    /// - Throws: ``HeraldError`` when the store fails or the recorder is shut down.
    public func record(_ event: TrackingEvent) async throws -> TrackingBatchResult.Outcome {
        try await record([event])[0]
    }

    /// Records events (in this order, in one or more transactions); returns their
    /// outcomes once committed.
    ///
    /// - Throws: ``HeraldError`` when the store fails or the recorder is shut down.
    public func record(_ events: [TrackingEvent]) async throws -> [TrackingBatchResult.Outcome] {
        guard !events.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(Pending(events: events, waiter: .continuation(continuation)))
        }
    }

    /// Records one event without suspending: `completion` gets its outcome once it is
    /// committed (or the error), on the writer thread, so it must return at once (the
    /// tracking endpoint's open pixels hand the answer to their event loop).
    public func record(_ event: TrackingEvent, completion: @escaping @Sendable (Result<TrackingBatchResult.Outcome, any Error>) -> Void) {
        enqueue(Pending(events: [event], waiter: .callback(completion)))
    }

    private func enqueue(_ pending: Pending) {
        let (wake, refused) = state.withLock { state -> (Bool, Bool) in
            guard !state.finished else { return (false, true) }
            state.pending.append(pending)
            state.pendingEvents += pending.events.count
            defer { state.writerSleeping = false }
            return (state.writerSleeping, false)
        }
        if refused {
            pending.waiter.resume(.failure(HeraldError(code: .unavailable, message: "the tracking recorder is shut down")))
        }
        if wake { wakeUp.signal() }
    }

    /// The writer loop, on a thread of its own: runs until ``shutdown()`` and everything
    /// queued before it is committed.
    public func run() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                writerLoop()
                done.resume()
            }
            thread.name = "herald-tracking-writer"
            thread.start()
        }
        let (transactions, events) = state.withLock { ($0.transactions, $0.committedEvents) }
        logger.info(
            "tracking recorder stopped",
            metadata: ["herald.tracking.transactions": "\(transactions)", "herald.tracking.events": "\(events)"]
        )
    }

    /// Refuses new events; ``run()`` returns once the queued ones are committed.
    public func shutdown() {
        let wake = state.withLock { state -> Bool in
            state.finished = true
            defer { state.writerSleeping = false }
            return state.writerSleeping
        }
        if wake { wakeUp.signal() }
    }

    private func writerLoop() {
        while true {
            let taken = state.withLock { state -> [Pending]? in
                if !state.pending.isEmpty {
                    var count = 0
                    var end = 0
                    while end < state.pending.count, end == 0 || count + state.pending[end].events.count <= configuration.maxBatchSize {
                        count += state.pending[end].events.count
                        end += 1
                    }
                    let groups = Array(state.pending[..<end])
                    state.pending.removeFirst(end)
                    state.pendingEvents -= count
                    return groups
                }
                if state.finished { return [] }
                state.writerSleeping = true
                return nil
            }
            guard let groups = taken else {
                wakeUp.wait()
                continue
            }
            guard !groups.isEmpty else { return }
            commit(groups)
        }
    }

    private func commit(_ groups: [Pending]) {
        var events: [TrackingEvent] = []
        events.reserveCapacity(groups.reduce(0) { $0 + $1.events.count })
        for group in groups { events.append(contentsOf: group.events) }
        let result: TrackingBatchResult
        do {
            result = try store.recordTrackingEvents(events, machineOpenWindowSeconds: configuration.machineOpenWindowSeconds)
        } catch {
            logger.error("cannot record tracking events", metadata: ["herald.error": "\(error)", "herald.events": "\(events.count)"])
            for group in groups { group.waiter.resume(.failure(error)) }
            return
        }
        state.withLock { state in
            state.transactions += 1
            state.committedEvents += events.count
        }
        var offset = 0
        for group in groups {
            let end = offset + group.events.count
            group.waiter.resume(.success(result.outcomes[offset..<end]))
            offset = end
        }
        for (deliveryID, counts) in result.engagement {
            observer.engagementChanged(deliveryID: deliveryID, counts: counts)
        }
        for deliveryID in result.ledgerChanged {
            observer.ledgerChanged(deliveryID: deliveryID)
        }
    }
}
