/// A recipient of deliveries.
///
/// `id` is the client-chosen external key. `tags` behave as a set (kept sorted and
/// without duplicates by ``normalized()``); `attributes` are free custom string
/// fields that audience filters reach as `attributes.<key>`.
public struct Profile: Hashable, Sendable, Codable {
    /// Whether a profile may receive deliveries.
    public enum Subscription: String, Hashable, Sendable, Codable, CaseIterable {
        /// Receives deliveries.
        case subscribed = "SUBSCRIBED"
        /// Opted out; excluded from every delivery (cause DENYLISTED).
        case unsubscribed = "UNSUBSCRIBED"
        /// Blocked by an operator; excluded from every delivery (cause DENYLISTED).
        case denylisted = "DENYLISTED"
    }

    /// The client-chosen unique key.
    public var id: String
    /// The email address (may be empty: such a profile is excluded at preparation).
    public var email: String
    /// The first name.
    public var firstName: String
    /// The last name.
    public var lastName: String
    /// A BCP 47 locale such as `sv-SE` (free text, not validated).
    public var locale: String
    /// An IANA time zone such as `Europe/Stockholm` (free text, not validated).
    public var timeZone: String
    /// Tags, as a set.
    public var tags: [String]
    /// Free custom fields.
    public var attributes: [String: String]
    /// The subscription state.
    public var subscription: Subscription
    /// When the profile was first stored.
    public var createdAt: Timestamp
    /// When the profile was last changed.
    public var updatedAt: Timestamp

    /// Creates a profile.
    public init(
        id: String,
        email: String = "",
        firstName: String = "",
        lastName: String = "",
        locale: String = "",
        timeZone: String = "",
        tags: [String] = [],
        attributes: [String: String] = [:],
        subscription: Subscription = .subscribed,
        createdAt: Timestamp = .epoch,
        updatedAt: Timestamp = .epoch
    ) {
        self.id = id
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.locale = locale
        self.timeZone = timeZone
        self.tags = tags
        self.attributes = attributes
        self.subscription = subscription
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// This profile with its tags deduplicated and sorted, both byte-wise (UTF-8, no
    /// Unicode normalization, as the stores compare).
    public func normalized() -> Profile {
        // Already strictly increasing byte-wise (the usual case): sorted and without
        // duplicates, nothing to build.
        if zip(tags, tags.dropFirst()).allSatisfy({ $0.utf8.lexicographicallyPrecedes($1.utf8) }) { return self }
        var copy = self
        var seen = Set<[UInt8]>()
        copy.tags = tags.filter { seen.insert(Array($0.utf8)).inserted }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return copy
    }
}
