/// The targeting KPIs of a preparation, final or so far.
///
/// `targeted = toDeliver + toExclude` holds in every value the engine publishes:
/// a targeted profile counts as to deliver until a check or a rule excludes it.
public struct PreparationKPIs: Hashable, Sendable, Codable {
    /// Profiles matched by the audience (so far, while targeting).
    public var targeted: Int
    /// Messages that will be sent (so far).
    public var toDeliver: Int
    /// Excluded profiles per cause; causes without exclusions are absent.
    public var exclusionCounts: [ExclusionCause: Int]

    /// Profiles excluded, all causes together.
    public var toExclude: Int { exclusionCounts.values.reduce(0, +) }

    /// Creates KPIs.
    public init(targeted: Int = 0, toDeliver: Int = 0, exclusionCounts: [ExclusionCause: Int] = [:]) {
        self.targeted = targeted
        self.toDeliver = toDeliver
        self.exclusionCounts = exclusionCounts
    }

    /// The count for one cause (0 when none).
    public func count(_ cause: ExclusionCause) -> Int { exclusionCounts[cause] ?? 0 }

    /// Counts `count` more targeted profiles, all to deliver.
    mutating func target(_ count: Int) {
        targeted += count
        toDeliver += count
    }

    /// Moves `count` profiles from to-deliver to excluded for `cause`.
    mutating func exclude(_ cause: ExclusionCause, _ count: Int = 1) {
        guard count > 0 else { return }
        toDeliver -= count
        exclusionCounts[cause, default: 0] += count
    }
}
