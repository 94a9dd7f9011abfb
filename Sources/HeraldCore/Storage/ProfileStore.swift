/// Where profiles live.
///
/// Listings are ordered by `id`, compared byte-wise (UTF-8), and paged by keyset: the
/// cursor is the last id of a page. Methods throw ``HeraldError`` (a storage failure is
/// ``HeraldError/Code/internal`` or ``HeraldError/Code/unavailable``).
public protocol ProfileStore: Sendable {
    /// Creates or replaces profiles, as one atomic batch.
    ///
    /// Every row is checked with ``Profile/validate()``; refused rows are reported in
    /// ``ProfileUpsertResult/errors`` and the other rows are written, all in one
    /// transaction (after a crash, either all of them are stored or none). A row replaces
    /// the whole stored profile except `createdAt`: a new profile gets `createdAt = time`,
    /// an existing one keeps its own; `updatedAt = time`. The rows' own timestamps are
    /// ignored. When an id repeats in the batch, the last row wins. Tags are stored as
    /// ``Profile/normalized()`` makes them.
    func upsertProfiles(_ profiles: [Profile], at time: Timestamp) async throws -> ProfileUpsertResult

    /// The profile with this id, or `nil`.
    func profile(id: String) async throws -> Profile?

    /// The profiles with these ids, by id (missing ids are absent): one read for a batch.
    func profiles(ids: [String]) async throws -> [String: Profile]

    /// Profiles matching `filter`, ordered by id, after the id `after` (exclusive), at most `limit`.
    func listProfiles(matching filter: AudienceFilter, after: String?, limit: Int) async throws -> Page<Profile>

    /// How many profiles match `filter`.
    func countProfiles(matching filter: AudienceFilter) async throws -> Int

    /// Deletes the profile; returns whether it existed.
    func deleteProfile(id: String) async throws -> Bool

    /// Sets the subscription of a profile and its `updatedAt`; returns the updated
    /// profile, or `nil` if there is none with this id.
    func setSubscription(id: String, to subscription: Profile.Subscription, at time: Timestamp) async throws -> Profile?
}

extension ProfileStore {
    /// One ``profile(id:)`` per id.
    public func profiles(ids: [String]) async throws -> [String: Profile] {
        var found: [String: Profile] = [:]
        for id in ids {
            if let profile = try await profile(id: id) { found[id] = profile }
        }
        return found
    }
}
