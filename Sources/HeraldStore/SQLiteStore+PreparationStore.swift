internal import GRDB
public import HeraldCore

/// Lists of values are bound as one JSON array argument and read with `json_each`:
/// one statement for any batch size, whatever SQLite's variable limit.
extension SQLiteStore: PreparationStore {
    public func countTargets(audience: AudienceFilter) async throws -> Int {
        try await countProfiles(matching: audience)
    }

    public func targetBatch(
        audience: AudienceFilter, ruleFilters: [AudienceFilter], after: String?, limit: Int
    ) async throws -> [TargetRow] {
        guard ruleFilters.count <= 64 else { throw HeraldError.invalidArgument("at most 64 rule filters") }
        let limit = max(0, limit)
        return try await read("targetBatch") { db in
            let catalog = try AttributeCatalog.load(db)
            var arguments = StatementArguments()
            var columns = "profiles.pk, profiles.id, profiles.email, profiles.subscription"
            for filter in ruleFilters {
                let compiled = filter.sql(attributeColumns: catalog.columns(for:))
                columns += ", (\(compiled.clause))"
                arguments += compiled.statementArguments
            }
            let compiled = audience.sql(attributeColumns: catalog.columns(for:))
            var sql = "SELECT \(columns) FROM profiles WHERE (\(compiled.clause))"
            arguments += compiled.statementArguments
            if let after {
                sql += " AND profiles.id > ?"
                arguments += [after]
            }
            sql += " ORDER BY profiles.id LIMIT ?"
            arguments += [limit]
            var rows: [TargetRow] = []
            rows.reserveCapacity(limit)
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try cursor.next() {
                let subscriptionText: String = row[3]
                guard let subscription = Profile.Subscription(rawValue: subscriptionText) else {
                    throw HeraldError.internal("stored profile has an unknown subscription '\(subscriptionText)'")
                }
                var bits: UInt64 = 0
                for i in 0..<ruleFilters.count where (row[4 + i] as Int64? ?? 0) != 0 { bits |= 1 << UInt64(i) }
                rows.append(TargetRow(key: row[0], id: row[1], email: row[2], subscription: subscription, filterMatches: bits))
            }
            return rows
        }
    }

    public func targetProfiles(keys: [Int64]) async throws -> [Profile?] {
        guard !keys.isEmpty else { return [] }
        let json = "[" + keys.map(String.init).joined(separator: ",") + "]"
        let found = try await read("targetProfiles") { db in
            let catalog = try AttributeCatalog.load(db)
            let pkColumn = 10 + catalog.keysBySlot.count
            var byKey: [Int64: Profile] = [:]
            byKey.reserveCapacity(keys.count)
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT \(ProfileRow.columns(catalog)), profiles.pk FROM profiles
                    WHERE profiles.pk IN (SELECT value FROM json_each(?))
                    """,
                arguments: [json]
            )
            while let row = try cursor.next() { byKey[row[pkColumn]] = try ProfileRow.decode(row, catalog) }
            return byKey
        }
        return keys.map { found[$0] }
    }

    public func quarantinedAddresses(among addresses: [String]) async throws -> Set<String> {
        guard !addresses.isEmpty else { return [] }
        let normalized = addresses.map(Self.folded)
        let json = CompactJSON.encode(normalized)
        let hits = try await read("quarantinedAddresses") { db in
            Set(try String.fetchAll(
                db, sql: "SELECT address FROM address_quarantine WHERE address IN (SELECT value FROM json_each(?))",
                arguments: [json]
            ))
        }
        guard !hits.isEmpty else { return [] }
        return Set(zip(addresses, normalized).filter { hits.contains($0.1) }.map(\.0))
    }

    public func quarantine(address: String, reason: String, at time: Timestamp) async throws {
        try await write("quarantine") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO address_quarantine (address, reason, created_at) VALUES (?, ?, ?)",
                arguments: [Self.folded(address), reason, time.microsecondsSinceEpoch]
            )
        }
    }

    public func releaseQuarantine(address: String) async throws -> Bool {
        try await write("releaseQuarantine") { db in
            try db.execute(sql: "DELETE FROM address_quarantine WHERE address = ?", arguments: [Self.folded(address)])
            return db.changesCount > 0
        }
    }

    public func sentMessageCounts(profileIDs: [String], since: Timestamp) async throws -> [String: Int] {
        guard !profileIDs.isEmpty else { return [:] }
        let json = CompactJSON.encode(profileIDs)
        return try await read("sentMessageCounts") { db in
            var counts: [String: Int] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT profile_id, count(*) FROM messages
                    WHERE status = 'SENT' AND status_time >= ? AND profile_id IN (SELECT value FROM json_each(?))
                    GROUP BY profile_id
                    """,
                arguments: [since.microsecondsSinceEpoch, json]
            )
            while let row = try rows.next() { counts[row[0]] = row[1] }
            return counts
        }
    }

    public func discardPreparation(deliveryID: String) async throws {
        try await write("discardPreparation") { db in
            try db.execute(sql: "DELETE FROM preparation_exclusions WHERE delivery_id = ?", arguments: [deliveryID])
            try db.execute(sql: "DELETE FROM preparation_logs WHERE delivery_id = ?", arguments: [deliveryID])
            try db.execute(sql: "DELETE FROM messages WHERE delivery_id = ? AND status = 'PENDING'", arguments: [deliveryID])
        }
    }

    public func appendExclusions(_ exclusions: [Exclusion], deliveryID: String) async throws {
        guard !exclusions.isEmpty else { return }
        try await write("appendExclusions") { db in
            let insert = RawStatement(try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO preparation_exclusions (delivery_id, profile_id, address, cause, rule_name)
                VALUES (?, ?, ?, ?, ?)
                """))
            for exclusion in exclusions {
                try insert.bind(1, deliveryID)
                try insert.bind(2, exclusion.profileID)
                try insert.bind(3, exclusion.address)
                try insert.bind(4, Int64(exclusion.cause.rawValue))
                try insert.bind(5, exclusion.ruleName)
                try insert.run()
            }
        }
    }

    public func appendLogEntries(_ entries: [PreparationLogEntry], deliveryID: String) async throws {
        guard !entries.isEmpty else { return }
        try await write("appendLogEntries") { db in
            for entry in entries {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO preparation_logs
                            (delivery_id, seq, time, severity, code, message, phase, profile_id)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        deliveryID, entry.sequence, entry.time.microsecondsSinceEpoch, entry.severity.rawValue, entry.code,
                        entry.message, entry.phase?.rawValue, entry.profileID,
                    ]
                )
            }
        }
    }

    public func appendMessages(_ messages: [PreparedMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await write("appendMessages") { db in
            let insert = RawStatement(try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO messages (delivery_id, seq, profile_id, address, tracking_id, status, status_time)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """))
            for message in messages {
                try insert.bind(1, message.deliveryID)
                try insert.bind(2, Int64(message.sequence))
                try insert.bind(3, message.profileID)
                try insert.bind(4, message.address)
                try insert.bind(5, message.trackingID)
                try insert.bind(6, message.status.rawValue)
                if let time = message.statusTime { try insert.bind(7, time.microsecondsSinceEpoch) } else { try insert.bindNull(7) }
                try insert.run()
            }
        }
    }

    public func listExclusions(
        deliveryID: String, causes: Set<ExclusionCause>?, after: String?, limit: Int
    ) async throws -> Page<Exclusion> {
        let limit = max(0, limit)
        return try await read("listExclusions") { db in
            var sql = "SELECT profile_id, address, cause, rule_name FROM preparation_exclusions WHERE delivery_id = ?"
            var arguments: StatementArguments = [deliveryID]
            if let causes, !causes.isEmpty {
                sql += " AND cause IN (SELECT value FROM json_each(?))"
                arguments += ["[" + causes.map { String($0.rawValue) }.sorted().joined(separator: ",") + "]"]
            }
            if let after {
                sql += " AND profile_id > ?"
                arguments += [after]
            }
            sql += " ORDER BY profile_id LIMIT ?"
            arguments += [limit + 1]
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let items = try rows.prefix(limit).map { row in
                let raw: Int = row[2]
                guard let cause = ExclusionCause(rawValue: raw) else {
                    throw HeraldError.internal("stored exclusion has an unknown cause \(raw)")
                }
                return Exclusion(profileID: row[0], address: row[1], cause: cause, ruleName: row[3])
            }
            return Page(items: items, nextCursor: rows.count > limit ? items.last?.profileID : nil)
        }
    }

    public func listLogEntries(
        deliveryID: String, minimumSeverity: LogSeverity?, after: String?, limit: Int
    ) async throws -> Page<PreparationLogEntry> {
        let limit = max(0, limit)
        let start = try Self.sequenceCursor(after)
        return try await read("listLogEntries") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, time, severity, code, message, phase, profile_id FROM preparation_logs
                    WHERE delivery_id = ? AND seq > ? AND severity >= ? ORDER BY seq LIMIT ?
                    """,
                arguments: [deliveryID, start, (minimumSeverity ?? .info).rawValue, limit + 1]
            )
            let items = try rows.prefix(limit).map { row in
                let rawSeverity: Int = row[2]
                guard let severity = LogSeverity(rawValue: rawSeverity) else {
                    throw HeraldError.internal("stored log entry has an unknown severity \(rawSeverity)")
                }
                return PreparationLogEntry(
                    sequence: row[0], time: Timestamp(microsecondsSinceEpoch: row[1]), severity: severity, code: row[3],
                    message: row[4], phase: (row[5] as Int?).flatMap(PreparationPhase.init(rawValue:)), profileID: row[6]
                )
            }
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { String($0.sequence) } : nil)
        }
    }

    public func listMessages(
        deliveryID: String, statuses: Set<PreparedMessage.Status>?, after: String?, limit: Int
    ) async throws -> Page<PreparedMessage> {
        let limit = max(0, limit)
        let start = try Self.sequenceCursor(after)
        return try await read("listMessages") { db in
            var sql = """
                SELECT seq, profile_id, address, tracking_id, status, status_time FROM messages
                WHERE delivery_id = ? AND seq > ?
                """
            var arguments: StatementArguments = [deliveryID, start]
            if let statuses {
                sql += " AND status IN (SELECT value FROM json_each(?))"
                arguments += [CompactJSON.encode(statuses.map(\.rawValue).sorted())]
            }
            sql += " ORDER BY seq LIMIT ?"
            arguments += [limit + 1]
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let items = try rows.prefix(limit).map { row in
                let rawStatus: String = row[4]
                guard let status = PreparedMessage.Status(rawValue: rawStatus) else {
                    throw HeraldError.internal("stored message has an unknown status '\(rawStatus)'")
                }
                return PreparedMessage(
                    deliveryID: deliveryID, sequence: row[0], profileID: row[1], address: row[2], trackingID: row[3],
                    status: status, statusTime: (row[5] as Int64?).map(Timestamp.init(microsecondsSinceEpoch:))
                )
            }
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { String($0.sequence) } : nil)
        }
    }

    public func updateMessageStatus(
        deliveryID: String, sequences: [Int], to status: PreparedMessage.Status, at time: Timestamp
    ) async throws -> Int {
        guard !sequences.isEmpty else { return 0 }
        let json = "[" + sequences.map(String.init).joined(separator: ",") + "]"
        return try await write("updateMessageStatus") { db in
            try db.execute(
                sql: """
                    UPDATE messages SET status = ?, status_time = ?
                    WHERE delivery_id = ? AND seq IN (SELECT value FROM json_each(?))
                    """,
                arguments: [status.rawValue, time.microsecondsSinceEpoch, deliveryID, json]
            )
            return db.changesCount
        }
    }

    /// Parses a decimal sequence cursor (0 when `nil`).
    private static func sequenceCursor(_ cursor: String?) throws -> Int {
        guard let cursor else { return 0 }
        guard let value = Int(cursor), value >= 0 else { throw HeraldError.invalidArgument("invalid page token '\(cursor)'") }
        return value
    }

    /// An address with ASCII letters in lower case, as quarantines are keyed.
    private static func folded(_ address: String) -> String {
        String(decoding: address.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
