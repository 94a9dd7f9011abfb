/// The state of a preparation run (not of the delivery: see ``Delivery/State``).
public enum PreparationState: Int, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Running in the background; the delivery is PREPARING.
    case running = 1
    /// Finished without ERROR log entries; the delivery is READY.
    case succeeded = 2
    /// Finished with at least one ERROR log entry or an internal failure; the delivery is
    /// PREPARATION_FAILED.
    case failed = 3
    /// Stopped by request; the delivery is DRAFT and nothing was kept but a log entry.
    case stopped = 4

    /// Whether the run is over.
    public var isFinal: Bool { self != .running }

    /// The API name, e.g. `SUCCEEDED`.
    public var description: String {
        switch self {
        case .running: "RUNNING"
        case .succeeded: "SUCCEEDED"
        case .failed: "FAILED"
        case .stopped: "STOPPED"
        }
    }
}
