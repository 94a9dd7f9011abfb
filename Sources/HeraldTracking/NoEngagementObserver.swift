public import HeraldCore

/// An ``EngagementObserver`` that ignores everything (when no KPI board listens).
public struct NoEngagementObserver: EngagementObserver {
    /// Creates the observer.
    public init() {}
    public func engagementChanged(deliveryID: String, counts: EngagementCounts) {}
    public func ledgerChanged(deliveryID: String) {}
}
