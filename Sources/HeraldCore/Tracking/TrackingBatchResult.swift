/// What one committed batch of tracking events did.
public struct TrackingBatchResult: Sendable {
    /// The fate of each event of the batch, in order.
    public enum Outcome: Hashable, Sendable {
        /// Persisted (and counted).
        case recorded
        /// No ledger row has this delivery id and sequence: nothing was persisted.
        case unknownMessage
    }

    /// One outcome per event, in the batch's order.
    public var outcomes: [Outcome]
    /// The engagement counts, after the commit, of each delivery whose counts changed.
    public var engagement: [String: EngagementCounts]
    /// The deliveries whose ledger changed (a hard bounce moved a SENT row to FAILED).
    public var ledgerChanged: Set<String>

    /// Creates a result.
    public init(outcomes: [Outcome], engagement: [String: EngagementCounts] = [:], ledgerChanged: Set<String> = []) {
        self.outcomes = outcomes
        self.engagement = engagement
        self.ledgerChanged = ledgerChanged
    }
}
