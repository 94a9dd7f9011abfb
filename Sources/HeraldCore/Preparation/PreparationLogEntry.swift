/// One entry of a delivery's preparation log: a control check's finding or a progress note.
public struct PreparationLogEntry: Hashable, Sendable, Codable {
    /// The entry's position in the delivery's log, from 1, in the order written.
    public var sequence: Int
    /// When it was written.
    public var time: Timestamp
    /// How serious it is.
    public var severity: LogSeverity
    /// A stable machine-readable code, e.g. `EMPTY_SUBJECT` (see ``PreparationLogCode``).
    public var code: String
    /// A clear English message.
    public var message: String
    /// The phase that wrote it, if any.
    public var phase: PreparationPhase?
    /// The profile concerned, empty when the entry is not about one recipient.
    public var profileID: String

    /// Creates an entry.
    public init(
        sequence: Int, time: Timestamp, severity: LogSeverity, code: String, message: String,
        phase: PreparationPhase? = nil, profileID: String = ""
    ) {
        self.sequence = sequence
        self.time = time
        self.severity = severity
        self.code = code
        self.message = message
        self.phase = phase
        self.profileID = profileID
    }
}
