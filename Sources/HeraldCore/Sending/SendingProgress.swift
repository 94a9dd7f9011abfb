/// A snapshot of a delivery's sending (what `WatchSending` streams).
public struct SendingProgress: Hashable, Sendable {
    /// The delivery.
    public var deliveryID: String
    /// Its state.
    public var state: Delivery.State
    /// The ledger's counts.
    public var counts: SendingCounts
    /// Messages handled per second since this run started; 0 when not sending.
    public var throughput: Double
    /// When the pending messages should be done at this throughput; `nil` when unknown.
    public var estimatedCompletion: Timestamp?
    /// When the snapshot was taken.
    public var updateTime: Timestamp

    /// Creates a snapshot.
    public init(
        deliveryID: String, state: Delivery.State, counts: SendingCounts, throughput: Double = 0,
        estimatedCompletion: Timestamp? = nil, updateTime: Timestamp
    ) {
        self.deliveryID = deliveryID
        self.state = state
        self.counts = counts
        self.throughput = throughput
        self.estimatedCompletion = estimatedCompletion
        self.updateTime = updateTime
    }
}
