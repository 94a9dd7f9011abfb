/// A phase of a running preparation, in order (API.md, "Preparation").
public enum PreparationPhase: Int, Hashable, Sendable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// Evaluating the audience in the store, batch by batch, and the address checks.
    case targeting = 1
    /// Applying the typology rules.
    case rules = 2
    /// Rendering every remaining message.
    case personalizing = 3
    /// Writing the prepared messages and the summary.
    case finalizing = 4

    /// The API name, e.g. `PERSONALIZING`.
    public var description: String {
        switch self {
        case .targeting: "TARGETING"
        case .rules: "RULES"
        case .personalizing: "PERSONALIZING"
        case .finalizing: "FINALIZING"
        }
    }

    public static func < (lhs: PreparationPhase, rhs: PreparationPhase) -> Bool { lhs.rawValue < rhs.rawValue }
}
