import HeraldCore

/// An ``InMemorySendingStore`` that records every batch read (its cursor), can make the
/// reads slow, and can fail the read after chosen cursors once.
actor ReadCountingStore: ForwardingSendingStore {
    struct ReadFailure: Error {}

    let base = InMemorySendingStore()
    private let readDelay: Duration
    private var failOnce: Set<Int>
    /// The cursor of each batch read (`limit` above 1), in the order they were asked.
    private(set) var readCursors: [Int] = []
    /// Last looks (reads of one row from the start).
    private(set) var lastLooks = 0
    private(set) var failedReads = 0

    init(readDelay: Duration = .zero) {
        self.readDelay = readDelay
        self.failOnce = []
    }

    /// The next read after `cursor` fails.
    func failOnce(after cursor: Int) {
        failOnce.insert(cursor)
    }

    func pendingEntries(deliveryID: String, after: Int, limit: Int) async throws -> [LedgerEntry] {
        guard limit > 1 else {
            lastLooks += 1
            return await base.pendingEntries(deliveryID: deliveryID, after: after, limit: limit)
        }
        readCursors.append(after)
        if readDelay > .zero { try? await Task.sleep(for: readDelay) }
        if failOnce.remove(after) != nil {
            failedReads += 1
            throw ReadFailure()
        }
        return await base.pendingEntries(deliveryID: deliveryID, after: after, limit: limit)
    }

    func applyLedgerUpdates(_ updates: [LedgerUpdate], deliveryID: String) async throws {
        await base.applyLedgerUpdates(updates, deliveryID: deliveryID)
    }
}
