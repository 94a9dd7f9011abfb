/// Group commit of a run's ledger updates: each caller of ``record(_:)`` returns once its
/// update is committed; updates that arrive while a transaction is being written go
/// together into the next one (at most ``SendingEngine/Configuration/ledgerGroupSize``).
///
/// Callers wait for their own commit, so a message stays "in flight" for the engine
/// until its outcome is durable: a crash can resend only messages in flight.
actor LedgerCommitter {
    private struct Waiting {
        var update: LedgerUpdate
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let store: any SendingStore
    private let deliveryID: String
    private let groupSize: Int
    private let run: SendingRun?
    private var queue: [Waiting] = []
    private var writing = false

    /// `run`, if given, has its counts moved by every committed transaction.
    init(store: any SendingStore, deliveryID: String, groupSize: Int, run: SendingRun? = nil) {
        self.store = store
        self.deliveryID = deliveryID
        self.groupSize = max(1, groupSize)
        self.run = run
    }

    /// Returns once `update` is committed; throws the store's error when its
    /// transaction failed (then none of that transaction's updates were applied).
    func record(_ update: LedgerUpdate) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.append(Waiting(update: update, continuation: continuation))
            if !writing {
                writing = true
                // The writer lives while updates keep coming; every caller is suspended
                // on a continuation it resumes, so it cannot outlive the run's task group.
                Task { await self.writeQueued() }
            }
        }
    }

    private func writeQueued() async {
        while !queue.isEmpty {
            let group = Array(queue.prefix(groupSize))
            queue.removeFirst(group.count)
            do {
                let updates = group.map(\.update)
                try await store.applyLedgerUpdates(updates, deliveryID: deliveryID)
                run?.committed(updates)
                for waiting in group { waiting.continuation.resume() }
            } catch {
                for waiting in group { waiting.continuation.resume(throwing: error) }
            }
        }
        writing = false
    }
}
