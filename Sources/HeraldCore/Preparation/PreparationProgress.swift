/// A snapshot of a preparation: what `WatchPreparation` streams.
public struct PreparationProgress: Hashable, Sendable {
    /// The delivery being prepared.
    public var deliveryID: String
    /// The run's state; a watch ends after a final state.
    public var state: PreparationState
    /// The current phase (the last one reached once the run is over); `nil` before the
    /// first phase starts or when no preparation is known.
    public var phase: PreparationPhase?
    /// Items processed in the current phase.
    public var processed: Int
    /// Items to process in the current phase (0 when not known yet).
    public var total: Int
    /// KPIs so far.
    public var kpis: PreparationKPIs
    /// ERROR log entries so far.
    public var errorCount: Int
    /// WARNING log entries so far.
    public var warningCount: Int
    /// Log entries written since the previous snapshot given to the same watcher (every
    /// entry so far in a snapshot that is not part of a watch).
    public var newLogEntries: [PreparationLogEntry]
    /// When the snapshot was taken.
    public var updateTime: Timestamp

    /// Creates a snapshot.
    public init(
        deliveryID: String, state: PreparationState, phase: PreparationPhase?, processed: Int = 0, total: Int = 0,
        kpis: PreparationKPIs = PreparationKPIs(), errorCount: Int = 0, warningCount: Int = 0,
        newLogEntries: [PreparationLogEntry] = [], updateTime: Timestamp
    ) {
        self.deliveryID = deliveryID
        self.state = state
        self.phase = phase
        self.processed = processed
        self.total = total
        self.kpis = kpis
        self.errorCount = errorCount
        self.warningCount = warningCount
        self.newLogEntries = newLogEntries
        self.updateTime = updateTime
    }
}
