/// Where preparations read their target and keep their results: exclusions, log
/// entries, the message ledger (PENDING prepared messages, SENT ones for pressure rules)
/// and address quarantines.
///
/// Results are kept per delivery and replaced by the next preparation of that delivery.
/// Listings are paged by keyset like ``ProfileStore``'s. Methods throw ``HeraldError``.
public protocol PreparationStore: Sendable {
    // MARK: Targeting

    /// How many profiles match `audience` (the targeting phase's total).
    func countTargets(audience: AudienceFilter) async throws -> Int

    /// At most `limit` profiles matching `audience`, ordered by id (byte-wise), after
    /// the id `after` (exclusive), each with whether it matches each of `ruleFilters`
    /// (at most 64), evaluated by the store.
    func targetBatch(
        audience: AudienceFilter, ruleFilters: [AudienceFilter], after: String?, limit: Int
    ) async throws -> [TargetRow]

    /// ``targetBatch(audience:ruleFilters:after:limit:)``, each row with its
    /// ``TargetRow/projectedProfile()`` holding the fields of `projection` (none when
    /// `nil`): the preparation renders messages from these rows without reading the
    /// profiles again.
    func targetBatch(
        audience: AudienceFilter, ruleFilters: [AudienceFilter], projection: ProfileProjection?, after: String?, limit: Int
    ) async throws -> [TargetRow]

    /// The profiles with these keys (from ``TargetRow/key``), in the same order; `nil`
    /// for a profile deleted since it was targeted.
    func targetProfiles(keys: [Int64]) async throws -> [Profile?]

    /// Which of `addresses` are quarantined, compared case-insensitively (ASCII); the
    /// result holds the addresses as given.
    func quarantinedAddresses(among addresses: [String]) async throws -> Set<String>

    /// Quarantines an address (after hard bounces), with a reason; a later call replaces it.
    func quarantine(address: String, reason: String, at time: Timestamp) async throws

    /// Lifts the quarantine of an address; returns whether it was quarantined.
    func releaseQuarantine(address: String) async throws -> Bool

    /// For each of `profileIDs` that was sent messages (ledger status SENT) at or after
    /// `since`, by any delivery, how many; absent profiles were sent none.
    func sentMessageCounts(profileIDs: [String], since: Timestamp) async throws -> [String: Int]

    // MARK: Results of a preparation

    /// Forgets a delivery's exclusions, log entries and PENDING messages: done when a
    /// preparation starts (it replaces the previous one) and when one is stopped.
    func discardPreparation(deliveryID: String) async throws

    /// Forgets a delivery's exclusions, log entries and PENDING messages, as
    /// ``discardPreparation(deliveryID:)``, only when the delivery was not changed since
    /// `updateTime` and is DRAFT: the clean-up after an update made a preparation stale.
    /// Decided in the same transaction as the discard, so a preparation that started
    /// after the update (it changes the delivery first) never loses its rows to it.
    /// Returns whether it discarded.
    func discardStalePreparation(deliveryID: String, updatedAt updateTime: Timestamp) async throws -> Bool

    /// Records exclusions (one per profile and preparation), in one transaction.
    func appendExclusions(_ exclusions: [Exclusion], deliveryID: String) async throws

    /// Records log entries, in one transaction.
    func appendLogEntries(_ entries: [PreparationLogEntry], deliveryID: String) async throws

    /// Records ledger rows, in one transaction.
    func appendMessages(_ messages: [PreparedMessage]) async throws

    /// A delivery's exclusions ordered by profile id, only those whose cause is in
    /// `causes` (all when `nil` or empty), after the profile id `after`, at most `limit`.
    func listExclusions(
        deliveryID: String, causes: Set<ExclusionCause>?, after: String?, limit: Int
    ) async throws -> Page<Exclusion>

    /// A delivery's log entries oldest first, only those of `minimumSeverity` or above
    /// (all when `nil`), after the entry whose sequence is the decimal cursor `after`,
    /// at most `limit`.
    func listLogEntries(
        deliveryID: String, minimumSeverity: LogSeverity?, after: String?, limit: Int
    ) async throws -> Page<PreparationLogEntry>

    /// A delivery's ledger rows by sequence, only those whose status is in `statuses`
    /// (all when `nil`), after the decimal sequence cursor `after`, at most `limit`.
    func listMessages(
        deliveryID: String, statuses: Set<PreparedMessage.Status>?, after: String?, limit: Int
    ) async throws -> Page<PreparedMessage>

    /// Sets the status of some of a delivery's messages; returns how many changed.
    func updateMessageStatus(
        deliveryID: String, sequences: [Int], to status: PreparedMessage.Status, at time: Timestamp
    ) async throws -> Int
}

extension PreparationStore {
    public func targetBatch(
        audience: AudienceFilter, ruleFilters: [AudienceFilter], after: String?, limit: Int
    ) async throws -> [TargetRow] {
        try await targetBatch(audience: audience, ruleFilters: ruleFilters, projection: nil, after: after, limit: limit)
    }
}
