/// Where tracking events are persisted, each batch in one transaction, and where the
/// tracking endpoint looks messages up. Methods throw ``HeraldError``.
///
/// A batch is applied by one writer in order, so "first open", "first click" and the
/// distinct counts are exact even when the same event arrives twice at once.
public protocol TrackingEventStore: EngagementStore {
    /// Persists `events` in one transaction: an append-only event row each, the
    /// per-recipient record (first open and click times, counts, flags) and the
    /// delivery's engagement counts; a hard bounce moves a SENT ledger row to FAILED and
    /// quarantines the address; an unsubscribe makes a SUBSCRIBED profile UNSUBSCRIBED.
    ///
    /// An open at most `machineOpenWindowSeconds` after the message's send time counts
    /// as a machine open, like one the event already marks as such.
    ///
    /// Blocks until committed: the recorder calls it from its own writer thread, never
    /// from Swift concurrency's pool (a commit then costs no thread hop).
    func recordTrackingEvents(_ events: [TrackingEvent], machineOpenWindowSeconds: Int) throws -> TrackingBatchResult

    /// The ledger row of message `sequence` of a delivery, or nil.
    func trackedMessage(deliveryID: String, sequence: Int) async throws -> TrackedMessage?

    /// The tracking signing keys kept in the database (`id`, secret), oldest first.
    func trackingKeys() async throws -> [(id: String, secret: [UInt8])]

    /// Keeps a signing key (generated when no key is configured) so that tokens stay
    /// valid across restarts. Does nothing when a key with this id exists.
    func addTrackingKey(id: String, secret: [UInt8], at time: Timestamp) async throws
}
