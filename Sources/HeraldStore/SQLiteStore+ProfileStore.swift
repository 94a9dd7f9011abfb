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
        var validIndices: [Int] = []
        valid.reserveCapacity(batch.count)
        for (index, row) in batch.enumerated() {
            do throws(HeraldError) {
                try row.validate()
                valid.append(row.normalized())
                validIndices.append(index)
            } catch {
                result.errors.append(.init(index: index, id: row.id, error: error))
            }
        }
        guard !valid.isEmpty else { return result }
        let rows = valid
        // Bind-ready values, built before taking the writer (beside another batch's write).
        let prepared = PreparedProfiles(rows)
        // Written in the next transaction of the single writer, beside the batches of
        // other concurrent calls (each batch whole in one transaction).
        writes.begin()
        defer { writes.end() }
        let outcome = try await mapErrors("upsertProfiles") {
            try await profileCommitter.write(prepared, at: time.microsecondsSinceEpoch, in: pool)
        }
        result.created = outcome.created
        result.updated = outcome.updated
        for (position, error) in outcome.refused {
            result.errors.append(.init(index: validIndices[position], id: rows[position].id, error: error))
        }
        result.errors.sort { $0.index < $1.index }
        return result
    }

    public func profile(id: String) async throws -> Profile? {
        try await read("profile") { db in
            let catalog = try AttributeCatalog.load(db)
            return try Row.fetchOne(db, sql: "SELECT \(ProfileRow.columns(catalog)) FROM profiles WHERE id = ?", arguments: [id])
                .map { try ProfileRow.decode($0, catalog) }
        }
    }

    public func listProfiles(matching filter: AudienceFilter, after: String?, limit: Int) async throws -> Page<Profile> {
        let limit = max(0, limit)
        return try await read("listProfiles") { db in
            let catalog = try AttributeCatalog.load(db)
            let compiled = filter.sql(attributeColumns: catalog.columns(for:))
            var arguments = compiled.statementArguments
            var sql = "SELECT \(ProfileRow.columns(catalog)) FROM profiles WHERE (\(compiled.clause))"
            if let after {
                sql += " AND profiles.id > ?"
                arguments += [after]
            }
            sql += " ORDER BY profiles.id LIMIT ?"
            arguments += [limit + 1]
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let items = try rows.prefix(limit).map { try ProfileRow.decode($0, catalog) }
            return Page(items: items, nextCursor: rows.count > limit ? items.last?.id : nil)
        }
    }

    public func countProfiles(matching filter: AudienceFilter) async throws -> Int {
        try await read("countProfiles") { db in
            let compiled = filter.sql(attributeColumns: try AttributeCatalog.load(db).columns(for:))
            return try Int.fetchOne(
                db, sql: "SELECT count(*) FROM profiles WHERE \(compiled.clause)", arguments: compiled.statementArguments
            ) ?? 0
        }
    }

    public func deleteProfile(id: String) async throws -> Bool {
        try await write("deleteProfile") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT pk, tags FROM profiles WHERE id = ?", arguments: [id])
            else { return false }
            let pk: Int64 = row[0]
            try ProfileWriter(db).removeTags(pk: pk, tags: try CompactJSON.decodeArray(row[1]))
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
            let catalog = try AttributeCatalog.load(db)
            return try Row.fetchOne(db, sql: "SELECT \(ProfileRow.columns(catalog)) FROM profiles WHERE id = ?", arguments: [id])
                .map { try ProfileRow.decode($0, catalog) }
        }
    }
}
