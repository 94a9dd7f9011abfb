import Synchronization

/// What the tracking recorder knows of the recipients it has seen, kept between batches
/// so that an event of a known recipient costs no read: the message's send time and the
/// recipient's engagement record, as last committed.
///
/// Exact, because both halves only change in ways the cache sees:
/// - only messages with a send time are kept, and a ledger row's `sent_time` is set once
///   (PENDING → SENT) and never changed or deleted after (re-preparation deletes PENDING
///   rows only, deleting a delivery keeps its ledger);
/// - `engagement` has one writer, ``SQLiteStore/recordTrackingEvents(_:machineOpenWindowSeconds:)``,
///   which updates the cache after each commit (GRDB's `afterNextTransaction`, on the
///   writer's queue, so before the next transaction can read it) and not on rollback.
///
/// It starts empty (so after a restart it is filled from the database again) and is
/// emptied when it reaches ``capacity`` recipients (~100 bytes each).
final class TrackingRecipientCache: Sendable {
    /// A cached recipient.
    struct Entry: Sendable {
        var sentTime: Int64
        var record: TrackingBatch.Record
    }

    /// The most recipients kept.
    static let capacity = 200_000

    private struct State {
        var deliveries: [String: [Int: Entry]] = [:]
        var count = 0
    }

    private let state = Mutex(State())

    /// The cached recipient, or nil.
    func entry(deliveryID: String, sequence: Int) -> Entry? {
        state.withLock { $0.deliveries[deliveryID]?[sequence] }
    }

    /// Keeps committed recipients (replacing what was kept of them).
    func store(_ entries: [(deliveryID: String, sequence: Int, entry: Entry)]) {
        state.withLock { state in
            for (deliveryID, sequence, entry) in entries {
                if state.count >= Self.capacity {
                    state.deliveries.removeAll()
                    state.count = 0
                }
                if state.deliveries[deliveryID, default: [:]].updateValue(entry, forKey: sequence) == nil {
                    state.count += 1
                }
            }
        }
    }

    /// How many recipients are kept.
    var count: Int {
        state.withLock { $0.count }
    }
}
