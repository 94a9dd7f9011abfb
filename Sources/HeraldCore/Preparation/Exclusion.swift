/// A targeted profile that gets no message, and why.
public struct Exclusion: Hashable, Sendable, Codable {
    /// The excluded profile's id.
    public var profileID: String
    /// Its email address at preparation time (may be empty).
    public var address: String
    /// Why it was excluded.
    public var cause: ExclusionCause
    /// The name of the typology rule that excluded it; empty for the address checks and
    /// personalization errors.
    public var ruleName: String

    /// Creates an exclusion.
    public init(profileID: String, address: String, cause: ExclusionCause, ruleName: String = "") {
        self.profileID = profileID
        self.address = address
        self.cause = cause
        self.ruleName = ruleName
    }
}
