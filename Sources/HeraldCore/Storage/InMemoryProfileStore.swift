/// A ``ProfileStore`` in memory, for unit tests. Filters are evaluated with
/// ``AudienceFilter/matches(_:)``.
public actor InMemoryProfileStore: ProfileStore {
    private var profiles: [ByteKey: Profile] = [:]

    /// Creates an empty store.
    public init() {}

    public func upsertProfiles(_ batch: [Profile], at time: Timestamp) throws -> ProfileUpsertResult {
        var result = ProfileUpsertResult()
        for (index, row) in batch.enumerated() {
            do throws(HeraldError) {
                try row.validate()
            } catch {
                result.errors.append(.init(index: index, id: row.id, error: error))
                continue
            }
            var profile = row.normalized()
            let key = ByteKey(profile.id)
            if let existing = profiles[key] {
                profile.createdAt = existing.createdAt
                result.updated += 1
            } else {
                profile.createdAt = time
                result.created += 1
            }
            profile.updatedAt = time
            profiles[key] = profile
        }
        return result
    }

    public func profile(id: String) -> Profile? {
        profiles[ByteKey(id)]
    }

    public func listProfiles(matching filter: AudienceFilter, after: String?, limit: Int) -> Page<Profile> {
        let start = after.map(ByteKey.init)
        let sorted = profiles.keys.filter { start == nil || start! < $0 }.sorted()
        var items: [Profile] = []
        for key in sorted where items.count < max(limit, 0) {
            let profile = profiles[key]!
            if filter.matches(profile) { items.append(profile) }
        }
        let more = items.count == limit && sorted.contains { key in
            ByteKey(items.last!.id) < key && filter.matches(profiles[key]!)
        }
        return Page(items: items, nextCursor: more ? items.last?.id : nil)
    }

    public func countProfiles(matching filter: AudienceFilter) -> Int {
        profiles.values.count(where: filter.matches)
    }

    public func deleteProfile(id: String) -> Bool {
        profiles.removeValue(forKey: ByteKey(id)) != nil
    }

    public func setSubscription(id: String, to subscription: Profile.Subscription, at time: Timestamp) -> Profile? {
        let key = ByteKey(id)
        guard var profile = profiles[key] else { return nil }
        profile.subscription = subscription
        profile.updatedAt = time
        profiles[key] = profile
        return profile
    }
}
