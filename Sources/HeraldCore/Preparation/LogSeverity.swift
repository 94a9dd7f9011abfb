/// The severity of a preparation log entry.
public enum LogSeverity: Int, Hashable, Sendable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// Informational.
    case info = 1
    /// A problem that does not block sending.
    case warning = 2
    /// A problem that fails the preparation and blocks sending.
    case error = 3

    /// The API name, e.g. `WARNING`.
    public var description: String {
        switch self {
        case .info: "INFO"
        case .warning: "WARNING"
        case .error: "ERROR"
        }
    }

    public static func < (lhs: LogSeverity, rhs: LogSeverity) -> Bool { lhs.rawValue < rhs.rawValue }
}
