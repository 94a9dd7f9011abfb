import Logging
import Synchronization

/// Group commit of a run's ledger updates: each caller of ``record(_:)`` returns once its
/// update is committed; updates that arrive while a transaction is being written go
/// together into the next one (at most ``SendingEngine/Configuration/ledgerGroupSize``).
///
/// Callers wait for their own commit, so a message stays "in flight" for the engine
/// until its outcome is durable: a crash can resend only messages in flight.
///
/// The writer is one of the callers (leader and followers): a caller that finds no
/// transaction under way writes the queued updates itself, and after its own update is
/// committed hands the writing on to the first caller still waiting, if any. No task is
/// started and no actor is entered per update.
///
/// How many updates its transactions held is logged (info) when it goes away, once per
/// sending job: the group sizes decide the store's cost per update.
final class LedgerCommitter: Sendable {
    /// What a waiting caller is told.
    private enum Signal: Sendable {
        /// Its update is committed.
        case committed
        /// It writes next (its own update is still queued).
        case lead
    }

    private struct Waiting {
        var update: LedgerUpdate
        /// `nil` for the writer's own update (the writer is not waiting for a signal).
        var continuation: CheckedContinuation<Signal, any Error>?
        var id: UInt64
    }

    private struct State {
        var queue: [Waiting] = []
        var writing = false
        var nextID: UInt64 = 0
        /// Transactions by how many updates they held: 1, 2, 3–4, 5–8, … (powers of two).
        var groups = [Int](repeating: 0, count: LedgerCommitter.groupBuckets)
    }

    /// The histogram's buckets: up to 2^(n-2) + 1 and more.
    private static let groupBuckets = 8
    private static let logger = Logger(label: "herald.sending.ledger")

    private let store: any SendingStore
    private let deliveryID: String
    private let groupSize: Int
    private let run: SendingRun?
    private let state = Mutex(State())

    /// `run`, if given, has its counts moved by every committed transaction.
    init(store: any SendingStore, deliveryID: String, groupSize: Int, run: SendingRun? = nil) {
        self.store = store
        self.deliveryID = deliveryID
        self.groupSize = max(1, groupSize)
        self.run = run
    }

    deinit {
        let groups = state.withLock { $0.groups }
        let transactions = groups.reduce(0, +)
        guard transactions > 0 else { return }
        var labels: [String] = []
        var low = 1
        for (index, count) in groups.enumerated() {
            let high = index == 0 ? 1 : 1 << index
            let last = index == groups.count - 1
            let label = last ? "\(low)+" : low == high ? "\(low)" : "\(low)-\(high)"
            if count > 0 { labels.append("\(label): \(count)") }
            low = high + 1
        }
        Self.logger.info(
            "ledger group commits",
            metadata: [
                "herald.delivery.id": "\(deliveryID)", "herald.ledger.transactions": "\(transactions)",
                "herald.ledger.group_sizes": "\(labels.joined(separator: ", "))",
            ]
        )
    }

    /// The histogram bucket of a group of `size` updates.
    private static func bucket(_ size: Int) -> Int {
        guard size > 1 else { return 0 }
        let bits = Int.bitWidth - (size - 1).leadingZeroBitCount
        return min(bits, groupBuckets - 1)
    }

    /// Returns once `update` is committed; throws the store's error when its
    /// transaction failed (then none of that transaction's updates were applied).
    func record(_ update: LedgerUpdate) async throws {
        var id: UInt64 = 0
        var fresh = false
        let signal = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Signal, any Error>) in
            let leads = state.withLock { state -> Bool in
                id = state.nextID
                state.nextID &+= 1
                guard state.writing else {
                    state.writing = true
                    state.queue.append(Waiting(update: update, continuation: nil, id: id))
                    return true
                }
                state.queue.append(Waiting(update: update, continuation: continuation, id: id))
                return false
            }
            if leads {
                fresh = true
                continuation.resume(returning: .lead)
            }
        }
        if case .lead = signal {
            // A caller that finds no transaction under way lets the tasks already ready to
            // run go first: the lanes whose replies arrived meanwhile queue their updates
            // and join this transaction, instead of each writing one of its own (nearly
            // every transaction held one update in `make bench-send` without it; a
            // transaction of one costs about twice as much per update as one of four).
            // A handed-on writer needs none: updates queued while it waited.
            if fresh { await Task.yield() }
            try await write(until: id)
        }
    }

    /// Writes queued groups until the one holding update `own` is committed, then hands
    /// the writing on (or stops when nothing is queued). Throws when `own`'s
    /// transaction failed.
    private func write(until own: UInt64) async throws {
        while true {
            let group = state.withLock { state -> [Waiting] in
                let group = Array(state.queue.prefix(groupSize))
                state.queue.removeFirst(group.count)
                state.groups[Self.bucket(group.count)] += 1
                return group
            }
            let updates = group.map(\.update)
            var failure: (any Error)?
            do {
                try await store.applyLedgerUpdates(updates, deliveryID: deliveryID)
                run?.committed(updates)
            } catch {
                failure = error
            }
            for waiting in group {
                if let failure {
                    waiting.continuation?.resume(throwing: failure)
                } else {
                    waiting.continuation?.resume(returning: .committed)
                }
            }
            guard group.contains(where: { $0.id == own }) else { continue }
            // Our own update is done: the first caller still waiting writes next.
            let next = state.withLock { state -> CheckedContinuation<Signal, any Error>? in
                guard !state.queue.isEmpty else {
                    state.writing = false
                    return nil
                }
                let continuation = state.queue[0].continuation
                state.queue[0].continuation = nil
                return continuation
            }
            next?.resume(returning: .lead)
            if let failure { throw failure }
            return
        }
    }
}
