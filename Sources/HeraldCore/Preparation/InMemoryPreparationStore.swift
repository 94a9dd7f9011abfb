/// A ``PreparationStore`` in memory, for unit tests, reading its targets from an
/// ``InMemoryProfileStore`` (filters evaluated with ``AudienceFilter/matches(_:)``) and,
/// for ``discardStalePreparation(deliveryID:updatedAt:)``, delivery states from an
/// ``InMemoryDeliveryStore`` when given one (without one it always discards).
public actor InMemoryPreparationStore: PreparationStore {
    private let profiles: InMemoryProfileStore
    private let deliveries: InMemoryDeliveryStore?
    private var keysByID: [ByteKey: Int64] = [:]
    private var idsByKey: [Int64: String] = [:]
    private var quarantines: [String: (reason: String, time: Timestamp)] = [:]
    private var exclusions: [String: [ByteKey: Exclusion]] = [:]
    private var logs: [String: [PreparationLogEntry]] = [:]
    private var messages: [String: [Int: PreparedMessage]] = [:]

    /// Creates an empty store over `profiles` (and `deliveries`, see above).
    public init(profiles: InMemoryProfileStore, deliveries: InMemoryDeliveryStore? = nil) {
        self.profiles = profiles
        self.deliveries = deliveries
    }

    public func countTargets(audience: AudienceFilter) async -> Int {
        await profiles.countProfiles(matching: audience)
    }

    public func targetBatch(
        audience: AudienceFilter, ruleFilters: [AudienceFilter], projection: ProfileProjection?, after: String?, limit: Int
    ) async throws -> [TargetRow] {
        guard ruleFilters.count <= 64 else { throw HeraldError.invalidArgument("at most 64 rule filters") }
        let page = await profiles.listProfiles(matching: audience, after: after, limit: limit)
        return page.items.map { profile in
            var bits: UInt64 = 0
            for (i, filter) in ruleFilters.enumerated() where filter.matches(profile) { bits |= 1 << UInt64(i) }
            return TargetRow(
                key: key(for: profile.id), id: profile.id, email: profile.email, subscription: profile.subscription,
                filterMatches: bits, profile: projection.map { Self.project(profile, $0) }
            )
        }
    }

    /// The profile with only the projection's fields (and id, email, subscription).
    private static func project(_ profile: Profile, _ projection: ProfileProjection) -> Profile {
        var projected = Profile(id: profile.id, email: profile.email, subscription: profile.subscription)
        if projection.fields.contains("first_name") { projected.firstName = profile.firstName }
        if projection.fields.contains("last_name") { projected.lastName = profile.lastName }
        if projection.fields.contains("locale") { projected.locale = profile.locale }
        if projection.fields.contains("time_zone") { projected.timeZone = profile.timeZone }
        if projection.fields.contains("tags") { projected.tags = profile.tags }
        projected.attributes = profile.attributes.filter { projection.includes(attribute: $0.key) }
        return projected
    }

    private func key(for id: String) -> Int64 {
        let byteKey = ByteKey(id)
        if let key = keysByID[byteKey] { return key }
        let key = Int64(keysByID.count + 1)
        keysByID[byteKey] = key
        idsByKey[key] = id
        return key
    }

    public func targetProfiles(keys: [Int64]) async -> [Profile?] {
        var out: [Profile?] = []
        for key in keys {
            if let id = idsByKey[key] { out.append(await profiles.profile(id: id)) } else { out.append(nil) }
        }
        return out
    }

    public func quarantinedAddresses(among addresses: [String]) -> Set<String> {
        Set(addresses.filter { quarantines[AddressKey.normalized($0)] != nil })
    }

    public func quarantine(address: String, reason: String, at time: Timestamp) {
        quarantines[AddressKey.normalized(address)] = (reason, time)
    }

    public func releaseQuarantine(address: String) -> Bool {
        quarantines.removeValue(forKey: AddressKey.normalized(address)) != nil
    }

    public func sentMessageCounts(profileIDs: [String], since: Timestamp) -> [String: Int] {
        let wanted = Set(profileIDs.map(ByteKey.init))
        var counts: [String: Int] = [:]
        for rows in messages.values {
            for row in rows.values where row.status == .sent && (row.statusTime ?? .epoch) >= since
                && wanted.contains(ByteKey(row.profileID)) {
                counts[row.profileID, default: 0] += 1
            }
        }
        return counts
    }

    public func discardPreparation(deliveryID: String) {
        exclusions[deliveryID] = nil
        logs[deliveryID] = nil
        messages[deliveryID] = messages[deliveryID]?.filter { $0.value.status != .pending }
    }

    public func discardStalePreparation(deliveryID: String, updatedAt updateTime: Timestamp) async throws -> Bool {
        if let deliveries {
            guard let delivery = await deliveries.delivery(id: deliveryID), delivery.state == .draft,
                  delivery.updateTime == updateTime
            else { return false }
        }
        discardPreparation(deliveryID: deliveryID)
        return true
    }

    public func appendExclusions(_ batch: [Exclusion], deliveryID: String) {
        for exclusion in batch { exclusions[deliveryID, default: [:]][ByteKey(exclusion.profileID)] = exclusion }
    }

    public func appendLogEntries(_ entries: [PreparationLogEntry], deliveryID: String) {
        logs[deliveryID, default: []].append(contentsOf: entries)
    }

    public func appendMessages(_ batch: [PreparedMessage]) {
        for message in batch { messages[message.deliveryID, default: [:]][message.sequence] = message }
    }

    public func listExclusions(
        deliveryID: String, causes: Set<ExclusionCause>?, after: String?, limit: Int
    ) -> Page<Exclusion> {
        let start = after.map(ByteKey.init)
        let matching = (exclusions[deliveryID] ?? [:])
            .filter { key, exclusion in
                (start == nil || start! < key) && (causes?.isEmpty ?? true || causes!.contains(exclusion.cause))
            }
            .sorted { $0.key < $1.key }
            .map(\.value)
        let items = Array(matching.prefix(max(limit, 0)))
        return Page(items: items, nextCursor: matching.count > items.count ? items.last?.profileID : nil)
    }

    public func listLogEntries(
        deliveryID: String, minimumSeverity: LogSeverity?, after: String?, limit: Int
    ) throws -> Page<PreparationLogEntry> {
        let start = try Self.sequenceCursor(after)
        let matching = (logs[deliveryID] ?? []).filter { entry in
            entry.sequence > start && entry.severity >= (minimumSeverity ?? .info)
        }
        let items = Array(matching.prefix(max(limit, 0)))
        return Page(items: items, nextCursor: matching.count > items.count ? items.last.map { String($0.sequence) } : nil)
    }

    public func listMessages(
        deliveryID: String, statuses: Set<PreparedMessage.Status>?, after: String?, limit: Int
    ) throws -> Page<PreparedMessage> {
        let start = try Self.sequenceCursor(after)
        let matching = (messages[deliveryID] ?? [:]).values
            .filter { $0.sequence > start && (statuses?.contains($0.status) ?? true) }
            .sorted { $0.sequence < $1.sequence }
        let items = Array(matching.prefix(max(limit, 0)))
        return Page(items: items, nextCursor: matching.count > items.count ? items.last.map { String($0.sequence) } : nil)
    }

    public func updateMessageStatus(
        deliveryID: String, sequences: [Int], to status: PreparedMessage.Status, at time: Timestamp
    ) -> Int {
        var changed = 0
        for sequence in sequences where messages[deliveryID]?[sequence] != nil {
            messages[deliveryID]![sequence]!.status = status
            messages[deliveryID]![sequence]!.statusTime = time
            changed += 1
        }
        return changed
    }

    /// Parses a decimal sequence cursor (0 when `nil`).
    static func sequenceCursor(_ cursor: String?) throws -> Int {
        guard let cursor else { return 0 }
        guard let value = Int(cursor), value >= 0 else { throw HeraldError.invalidArgument("invalid page token '\(cursor)'") }
        return value
    }
}
