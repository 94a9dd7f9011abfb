/// A rule applied to a delivery's target during preparation.
public enum TypologyRule: Hashable, Sendable, Codable {
    /// How large a control group is.
    public enum ControlGroupSize: Hashable, Sendable, Codable {
        /// A percentage of the remaining target, in `0...100`.
        case percent(Double)
        /// A fixed number of profiles, at least 0.
        case count(Int)
    }

    /// Excludes the profiles that match `filter` (cause EXCLUDED_BY_FILTER).
    case filtering(name: String, filter: String)
    /// Excludes a profile already sent `maxMessages` or more messages in the last
    /// `periodDays` days (cause EXCLUDED_AFTER_ARBITRATION).
    case pressure(name: String, maxMessages: Int, periodDays: Int)
    /// Keeps at most `maxMessages` messages, in a deterministic order (cause TARGET_LIMITED).
    case capacity(name: String, maxMessages: Int)
    /// Holds out a reproducible random sample (cause CONTROL_GROUP).
    case controlGroup(name: String, size: ControlGroupSize, seed: UInt64)

    /// The rule's name.
    public var name: String {
        switch self {
        case .filtering(let name, _), .pressure(let name, _, _), .capacity(let name, _), .controlGroup(let name, _, _):
            name
        }
    }
}
