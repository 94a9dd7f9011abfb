/// A message that cannot be personalized for one profile (cause PERSONALIZATION_ERROR).
public struct PersonalizationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, in English.
    public var reason: String

    /// Creates an error.
    public init(reason: String) {
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}
