internal import GRDB
public import HeraldCore

extension SQLiteStore: ProfileStore {
    /// The most profiles one ``upsertProfiles(_:at:)`` call accepts.
    public static let maxUpsertBatch = 10_000

    public func upsertProfiles(_ batch: [Profile], at time: Timestamp) async throws -> ProfileUpsertResult {
        guard batch.count <= Self.maxUpsertBatch else {
            throw HeraldError.invalidArgument("a batch holds at most \(Self.maxUpsertBatch) profiles (got \(batch.count))")
        }
        var result = ProfileUpsertResult()
        var valid: [Profile] = []
        valid.reserveCapacity(batch.count)
        for (index, row) in batch.enumerated() {
            do throws(HeraldError) {
                try row.validate()
                valid.append(row.normalized())
            } catch {
                result.errors.append(.init(index: index, id: row.id, error: error))
            }
        }
        guard !valid.isEmpty else { return result }
        let rows = valid
        let (created, updated) = try await write("upsertProfiles") { db in
            let writer = try ProfileWriter(db)
            var created = 0
            for profile in rows where try writer.upsert(profile, at: time) { created += 1 }
            return (created, rows.count - created)
        }
        result.created = created
        result.updated = updated
        return result
    }

    public func profile(id: String) async throws -> Profile? {
        try await read("profile") { db in
            try Row.fetchOne(db, sql: "SELECT \(ProfileRow.columns) FROM profiles WHERE id = ?", arguments: [id])
                .map(ProfileRow.decode)
        }
    }

    public func listProfiles(matching filter: AudienceFilter, after: String?, limit: Int) async throws -> Page<Profile> {
        let limit = max(0, limit)
        let compiled = filter.sql()
        return try await read("listProfiles") { db in
            var arguments = compiled.statementArguments
            var sql = "SELECT \(ProfileRow.columns) FROM profiles WHERE (\(compiled.clause))"
            if let after {
                sql += " AND profiles.id > ?"
                arguments += [after]
            }
            sql += " ORDER BY profiles.id LIMIT ?"
            arguments += [limit + 1]
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let items = try rows.prefix(limit).map(ProfileRow.decode)
            return Page(items: items, nextCursor: rows.count > limit ? items.last?.id : nil)
        }
    }

    public func countProfiles(matching filter: AudienceFilter) async throws -> Int {
        let compiled = filter.sql()
        return try await read("countProfiles") { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM profiles WHERE \(compiled.clause)", arguments: compiled.statementArguments
            ) ?? 0
        }
    }

    public func deleteProfile(id: String) async throws -> Bool {
        try await write("deleteProfile") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT pk, tags, attributes FROM profiles WHERE id = ?", arguments: [id])
            else { return false }
            let pk: Int64 = row[0]
            try ProfileWriter(db).removeSideRows(
                pk: pk, tags: try CompactJSON.decodeArray(row[1]), attributes: try CompactJSON.decodeObject(row[2])
            )
            try db.execute(sql: "DELETE FROM profiles WHERE pk = ?", arguments: [pk])
            return true
        }
    }

    public func setSubscription(id: String, to subscription: Profile.Subscription, at time: Timestamp) async throws -> Profile? {
        try await write("setSubscription") { db in
            try db.execute(
                sql: "UPDATE profiles SET subscription = ?, updated_at = ? WHERE id = ?",
                arguments: [subscription.rawValue, time.microsecondsSinceEpoch, id]
            )
            guard db.changesCount == 1 else { return nil }
            return try Row.fetchOne(db, sql: "SELECT \(ProfileRow.columns) FROM profiles WHERE id = ?", arguments: [id])
                .map(ProfileRow.decode)
        }
    }
}
