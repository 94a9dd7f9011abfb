internal import GRDB
public import HeraldCore

/// Profiles read by the batch (what sending renders a batch of messages from).
extension SQLiteStore {
    public func profiles(ids: [String]) async throws -> [String: Profile] {
        guard !ids.isEmpty else { return [:] }
        let json = CompactJSON.encode(ids)
        return try await read("profiles") { db in
            let catalog = try AttributeCatalog.load(db)
            let attributeKeys = catalog.keysBySlot.map(\.key)
            let statement = RawStatement(try db.cachedStatement(
                sql: "SELECT \(ProfileRow.columns(catalog)) FROM profiles WHERE id IN (SELECT value FROM json_each(?))"
            ))
            try statement.bind(1, json)
            defer { statement.reset() }
            var found: [String: Profile] = [:]
            found.reserveCapacity(ids.count)
            while try statement.step() {
                let profile = try ProfileRow.decode(statement.statement.sqliteStatement, attributeKeys)
                found[profile.id] = profile
            }
            return found
        }
    }
}
