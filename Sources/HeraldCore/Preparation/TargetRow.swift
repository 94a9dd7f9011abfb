/// One profile matched by a delivery's audience, as the targeting phase reads it: what
/// the address checks and typology rules need and, when asked, the fields of a
/// ``ProfileProjection`` (never more).
public struct TargetRow: Hashable, Sendable {
    /// The store's compact key of the profile, for ``PreparationStore/targetProfiles(keys:)``.
    public var key: Int64
    /// The profile id.
    public var id: String
    /// The email address.
    public var email: String
    /// The subscription state.
    public var subscription: Profile.Subscription
    /// Bit `i` is set when the profile matches `ruleFilters[i]` of the request.
    public var filterMatches: UInt64
    /// The profile with the projection's fields (the others empty), when one was asked for.
    public var profile: Profile?

    /// Creates a row.
    public init(
        key: Int64, id: String, email: String, subscription: Profile.Subscription, filterMatches: UInt64 = 0,
        profile: Profile? = nil
    ) {
        self.profile = profile
        self.key = key
        self.id = id
        self.email = email
        self.subscription = subscription
        self.filterMatches = filterMatches
    }
}
