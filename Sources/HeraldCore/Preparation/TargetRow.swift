/// One profile matched by a delivery's audience, as the targeting phase reads it: what
/// the address checks and typology rules need and, when asked, the fields of a
/// ``ProfileProjection`` (never more), either made (``profile``) or to be made from
/// ``profileSource`` (see ``projectedProfile()``).
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
    /// The profile with the projection's fields (the others empty), when one was asked
    /// for and the store made it.
    public var profile: Profile?
    /// Where the profile with the projection's fields is made from when one was asked
    /// for and ``profile`` is nil.
    public var profileSource: (any TargetProfileSource)?
    /// This row's number in ``profileSource``.
    public var profileSourceRow: Int

    /// Creates a row.
    public init(
        key: Int64, id: String, email: String, subscription: Profile.Subscription, filterMatches: UInt64 = 0,
        profile: Profile? = nil, profileSource: (any TargetProfileSource)? = nil, profileSourceRow: Int = 0
    ) {
        self.profile = profile
        self.key = key
        self.id = id
        self.email = email
        self.subscription = subscription
        self.filterMatches = filterMatches
        self.profileSource = profileSource
        self.profileSourceRow = profileSourceRow
    }

    /// The profile with the projection's fields: ``profile``, or the one
    /// ``profileSource`` makes; nil when no projection was asked for.
    public func projectedProfile() -> Profile? {
        if let profile { return profile }
        return profileSource?.profile(row: profileSourceRow, id: id, email: email, subscription: subscription)
    }

    /// Rows are equal when their values are, however their profiles are kept.
    public static func == (lhs: TargetRow, rhs: TargetRow) -> Bool {
        lhs.key == rhs.key && lhs.id == rhs.id && lhs.email == rhs.email && lhs.subscription == rhs.subscription
            && lhs.filterMatches == rhs.filterMatches && lhs.projectedProfile() == rhs.projectedProfile()
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(key)
        hasher.combine(id)
        hasher.combine(email)
        hasher.combine(subscription)
        hasher.combine(filterMatches)
        hasher.combine(projectedProfile())
    }
}
