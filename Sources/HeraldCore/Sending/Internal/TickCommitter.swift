import Logging
import Synchronization

/// Group commit for chaining lanes (``ChainingMailSession``) on their session's thread:
/// the updates recorded while that thread handles one wake-up's replies are committed
/// together, in one transaction run there right after (the first update of a wake-up
/// schedules it, later ones join it), with no task, no `Task.yield` and no hop.
///
/// The commit runs on the session's thread only when the store can commit at once
/// (``SendingStore/applyLedgerUpdatesIfIdle(_:deliveryID:)``: a transaction of a few
/// rows, about 30–60 µs); when its writer is busy (another job, tracking, a progress
/// flush) the group is queued on the store asynchronously and its callers are called
/// back from there. Each caller is called back once its update is committed (or its
/// transaction failed), so a message stays in flight until its outcome is durable.
///
/// How many groups and updates it committed on the session's thread and queued is logged
/// (info) when it goes away, once per sending job.
final class TickCommitter: Sendable {
    /// Called once the update is committed (`nil`) or its transaction failed.
    typealias Done = @Sendable ((any Error)?) -> Void

    private struct Waiting {
        var update: LedgerUpdate
        var done: Done
    }

    private struct State {
        var queue: [Waiting] = []
        var scheduled = false
        /// Groups and updates committed on the session's thread, and queued.
        var immediate = (groups: 0, updates: 0)
        var queued = (groups: 0, updates: 0)
    }

    private static let logger = Logger(label: "herald.sending.ledger")

    private let store: any SendingStore
    private let deliveryID: String
    private let run: SendingRun
    private let state = Mutex(State())

    init(store: any SendingStore, deliveryID: String, run: SendingRun) {
        self.store = store
        self.deliveryID = deliveryID
        self.run = run
    }

    deinit {
        let (immediate, queued) = state.withLock { ($0.immediate, $0.queued) }
        guard immediate.groups + queued.groups > 0 else { return }
        Self.logger.info(
            "chained ledger group commits",
            metadata: [
                "herald.delivery.id": "\(deliveryID)",
                "herald.ledger.immediate": "\(immediate.groups) groups, \(immediate.updates) updates",
                "herald.ledger.queued": "\(queued.groups) groups, \(queued.updates) updates",
            ]
        )
    }

    /// Queues `update` for the group of the current wake-up; `schedule` runs the commit
    /// on the session's thread when this is the group's first update.
    func record(_ update: LedgerUpdate, schedule: (@escaping @Sendable () -> Void) -> Void, done: @escaping Done) {
        let first = state.withLock { state -> Bool in
            state.queue.append(Waiting(update: update, done: done))
            guard !state.scheduled else { return false }
            state.scheduled = true
            return true
        }
        if first { schedule { self.commit() } }
    }

    /// Commits the queued group: at once when the store can, else asynchronously.
    private func commit() {
        let group = state.withLock { state -> [Waiting] in
            state.scheduled = false
            let group = state.queue
            state.queue = []
            return group
        }
        guard !group.isEmpty else { return }
        let updates = group.map(\.update)
        do {
            if try store.applyLedgerUpdatesIfIdle(updates, deliveryID: deliveryID) {
                state.withLock {
                    $0.immediate.groups += 1
                    $0.immediate.updates += updates.count
                }
                run.committed(updates)
                for waiting in group { waiting.done(nil) }
                return
            }
        } catch {
            for waiting in group { waiting.done(error) }
            return
        }
        state.withLock {
            $0.queued.groups += 1
            $0.queued.updates += updates.count
        }
        let store = self.store
        let deliveryID = self.deliveryID
        let run = self.run
        // Not a stray task: every caller in the group is a lane's chain waiting for its
        // callback, so the sending job does not end before this task has called back.
        Task {
            do {
                try await store.applyLedgerUpdates(updates, deliveryID: deliveryID)
                run.committed(updates)
                for waiting in group { waiting.done(nil) }
            } catch {
                for waiting in group { waiting.done(error) }
            }
        }
    }
}
