internal import GRDB
public import HeraldCore

/// Profiles read by the batch (what sending renders a batch of messages from).
extension SQLiteStore {
    public func profiles(ids: [String]) async throws -> [String: Profile] {
        guard !ids.isEmpty else { return [:] }
        let json = CompactJSON.encode(ids)
        return try await read("profiles") { db in
            let catalog = try AttributeCatalog.load(db)
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT \(ProfileRow.columns(catalog)) FROM profiles WHERE id IN (SELECT value FROM json_each(?))",
                arguments: [json]
            )
            var found: [String: Profile] = [:]
            found.reserveCapacity(rows.count)
            for row in rows {
                let profile = try ProfileRow.decode(row, catalog)
                found[profile.id] = profile
            }
            return found
        }
    }
}
