/// Told what changed once tracking events are persisted (never before: events are
/// persisted before they count). The KPI board implements it; the tracking recorder
/// calls it.
///
/// Calls must return at once (no I/O, no waiting): they come from the recorder's
/// commit path.
public protocol EngagementObserver: Sendable {
    /// A delivery's engagement counts after a commit that changed them.
    func engagementChanged(deliveryID: String, counts: EngagementCounts)

    /// A delivery's ledger changed outside sending (e.g. a hard bounce recorded after the
    /// fact moved a SENT row to FAILED): its sending counts must be read again.
    func ledgerChanged(deliveryID: String)
}
