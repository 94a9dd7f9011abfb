/// Where the persisted engagement (tracking events) of deliveries is read.
/// Methods throw ``HeraldError``.
public protocol EngagementStore: Sendable {
    /// The engagement counts of a delivery, from the persisted events (all zero when it
    /// has none).
    func engagementCounts(deliveryID: String) async throws -> EngagementCounts
}
