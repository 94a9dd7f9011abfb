internal import GRDB
import GRDBSQLite
public import HeraldCore

/// Lists of values are bound as one JSON array argument and read with `json_each`:
/// one statement for any batch size, whatever SQLite's variable limit.
extension SQLiteStore: PreparationStore {
    public func countTargets(audience: AudienceFilter) async throws -> Int {
        try await countProfiles(matching: audience)
    }

    public func targetBatch(
        audience: AudienceFilter, ruleFilters: [AudienceFilter], projection: ProfileProjection?, after: String?, limit: Int
    ) async throws -> [TargetRow] {
        guard ruleFilters.count <= 64 else { throw HeraldError.invalidArgument("at most 64 rule filters") }
        let limit = max(0, limit)
        return try await read("targetBatch") { db in
            try Self.withoutMemoryMap(db) {
                let catalog = try AttributeCatalog.load(db)
                var arguments = StatementArguments()
                var columns = "profiles.pk, profiles.id, profiles.email, profiles.subscription"
                for filter in ruleFilters {
                    let compiled = filter.sql(attributeColumns: catalog.columns(for:))
                    columns += ", (\(compiled.clause))"
                    arguments += compiled.statementArguments
                }
                // The projection's columns follow the rule filters' (only those it asks for).
                let fieldsColumn = 4 + Int32(ruleFilters.count)
                let fields = projection.map { ProjectedFields($0, catalog) }
                if let fields { columns += fields.columns }
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
                // The projected columns are kept as bytes when they can be: the profiles
                // are made by the reader of the rows (see TargetRow.projectedProfile()).
                let raw = fields?.readsRaw ?? false
                var projected = ProjectedRows.Builder()
                // Stepped through the C API: no Row boxing, strings made from the column bytes.
                let statement = try db.makeStatement(sql: sql)
                try statement.setArguments(arguments)
                let handle = statement.sqliteStatement
                defer { sqlite3_reset(handle) }
                while try Self.step(handle) {
                    let subscription = try Self.subscription(handle, 3)
                    var bits: UInt64 = 0
                    for i in 0..<ruleFilters.count where sqlite3_column_int64(handle, Int32(4 + i)) != 0 { bits |= 1 << UInt64(i) }
                    let id = Self.text(handle, 1), email = Self.text(handle, 2)
                    var profile: Profile?
                    var sourceRow = 0
                    if let fields {
                        if raw {
                            sourceRow = projected.append(
                                handle, from: fieldsColumn, fields: fields.fields.count, attributes: fields.attributeKeys.count
                            )
                        } else {
                            profile = try fields.profile(handle, from: fieldsColumn, id: id, email: email, subscription: subscription)
                        }
                    }
                    rows.append(TargetRow(
                        key: sqlite3_column_int64(handle, 0), id: id, email: email,
                        subscription: subscription, filterMatches: bits, profile: profile, profileSourceRow: sourceRow
                    ))
                }
                if raw, let fields {
                    let source = ProjectedRows(projected, fields: fields.fields, attributeKeys: fields.attributeKeys)
                    for i in rows.indices { rows[i].profileSource = source }
                }
                return rows
            }
        }
    }

    public func targetProfiles(keys: [Int64]) async throws -> [Profile?] {
        guard !keys.isEmpty else { return [] }
        let json = "[" + keys.map(String.init).joined(separator: ",") + "]"
        let count = keys.count
        return try await read("targetProfiles") { db in
            try Self.withoutMemoryMap(db) {
                let catalog = try AttributeCatalog.load(db)
                let positionColumn = 10 + catalog.keysBySlot.count
                let attributeKeys = catalog.keysBySlot.map(\.key)
                var found = [Profile?](repeating: nil, count: count)
                // The keys in order (CROSS JOIN keeps json_each outermost), each looked up by
                // rowid; a deleted profile has no row and stays nil at its position.
                let statement = try db.makeStatement(sql: """
                    SELECT \(ProfileRow.columns(catalog)), k.key FROM json_each(?) AS k
                    CROSS JOIN profiles ON profiles.pk = k.value
                    """)
                try statement.setArguments([json])
                let handle = statement.sqliteStatement
                defer { sqlite3_reset(handle) }
                while try Self.step(handle) {
                    let position = Int(sqlite3_column_int64(handle, Int32(positionColumn)))
                    guard position >= 0 && position < count else { continue }
                    found[position] = try ProfileRow.decode(handle, attributeKeys)
                }
                return found
            }
        }
    }

    public func quarantinedAddresses(among addresses: [String]) async throws -> Set<String> {
        guard !addresses.isEmpty else { return [] }
        let hits = try await read("quarantinedAddresses") { db -> Set<String> in
            // Most stores quarantine nothing: one probe instead of a lookup of every address.
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM address_quarantine)") == true else { return [] }
            let normalized = addresses.map(Self.folded)
            return Set(try String.fetchAll(
                db, sql: "SELECT address FROM address_quarantine WHERE address IN (SELECT value FROM json_each(?))",
                arguments: [CompactJSON.encode(normalized)]
            ))
        }
        guard !hits.isEmpty else { return [] }
        return Set(addresses.filter { hits.contains(Self.folded($0)) })
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
        return try await read("sentMessageCounts") { db in
            var counts: [String: Int] = [:]
            // No SENT message at all (a new store): one probe of the partial index.
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM messages WHERE status = 'SENT')") == true else {
                return counts
            }
            let json = CompactJSON.encode(profileIDs)
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
            // A million rows to delete: read without the map too (see withoutMemoryMap).
            try Self.withoutMemoryMap(db) {
                try db.execute(sql: "DELETE FROM preparation_exclusions WHERE delivery_id = ?", arguments: [deliveryID])
                try db.execute(sql: "DELETE FROM preparation_logs WHERE delivery_id = ?", arguments: [deliveryID])
                try db.execute(sql: "DELETE FROM messages WHERE delivery_id = ? AND status = 'PENDING'", arguments: [deliveryID])
            }
        }
    }

    public func discardStalePreparation(deliveryID: String, updatedAt updateTime: Timestamp) async throws -> Bool {
        try await write("discardStalePreparation") { db in
            let row = try Row.fetchOne(db, sql: "SELECT state, update_time FROM deliveries WHERE id = ?", arguments: [deliveryID])
            guard let row, row[0] as String == Delivery.State.draft.rawValue,
                  row[1] as Int64 == updateTime.microsecondsSinceEpoch
            else { return false }
            try Self.withoutMemoryMap(db) {
                try db.execute(sql: "DELETE FROM preparation_exclusions WHERE delivery_id = ?", arguments: [deliveryID])
                try db.execute(sql: "DELETE FROM preparation_logs WHERE delivery_id = ?", arguments: [deliveryID])
                try db.execute(sql: "DELETE FROM messages WHERE delivery_id = ? AND status = 'PENDING'", arguments: [deliveryID])
            }
            return true
        }
    }

    public func appendExclusions(_ exclusions: [Exclusion], deliveryID: String) async throws {
        guard !exclusions.isEmpty else { return }
        try await write("appendExclusions") { db in
            try GroupedInsert(
                db,
                prefix: "INSERT OR REPLACE INTO preparation_exclusions (delivery_id, profile_id, address, cause, rule_name) VALUES ",
                row: "(?, ?, ?, ?, ?)",
                perStatement: Self.exclusionsPerInsert
            ).insert(exclusions) { rows, arena in
                arena.append(deliveryID)
                for exclusion in rows {
                    arena.append(exclusion.profileID)
                    arena.append(exclusion.address)
                    arena.append(exclusion.ruleName)
                }
            } bind: { statement, rows, spans, base in
                for (i, exclusion) in rows.enumerated() {
                    let offset = Int32(i * 5)
                    try statement.bind(offset + 1, spans[0], in: base)
                    try statement.bind(offset + 2, spans[1 + 3 * i], in: base)
                    try statement.bind(offset + 3, spans[2 + 3 * i], in: base)
                    try statement.bind(offset + 4, Int64(exclusion.cause.rawValue))
                    try statement.bind(offset + 5, spans[3 + 3 * i], in: base)
                }
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
            try GroupedInsert(
                db,
                prefix: "INSERT OR REPLACE INTO messages (delivery_id, seq, profile_id, address, tracking_id, status, status_time) VALUES ",
                row: "(?, ?, ?, ?, ?, ?, ?)",
                perStatement: Self.messagesPerInsert
            ).insert(messages) { rows, arena in
                for message in rows {
                    arena.append(message.deliveryID)
                    arena.append(message.profileID)
                    arena.append(message.address)
                    arena.append(message.trackingID)
                    arena.append(message.status.rawValue)
                }
            } bind: { statement, rows, spans, base in
                for (i, message) in rows.enumerated() {
                    let offset = Int32(i * 7), text = 5 * i
                    try statement.bind(offset + 1, spans[text], in: base)
                    try statement.bind(offset + 2, Int64(message.sequence))
                    try statement.bind(offset + 3, spans[text + 1], in: base)
                    try statement.bind(offset + 4, spans[text + 2], in: base)
                    try statement.bind(offset + 5, spans[text + 3], in: base)
                    try statement.bind(offset + 6, spans[text + 4], in: base)
                    if let time = message.statusTime {
                        try statement.bind(offset + 7, time.microsecondsSinceEpoch)
                    } else {
                        try statement.bindNull(offset + 7)
                    }
                }
            }
        }
    }

    /// Ledger rows per multi-row INSERT of ``appendMessages(_:)`` (7 parameters a row).
    static let messagesPerInsert = 50

    /// Exclusions per multi-row INSERT of ``appendExclusions(_:deliveryID:)`` (5
    /// parameters a row).
    static let exclusionsPerInsert = 50

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

    /// Runs `body` with the connection's memory map off (`mmap_size = 0`), then restores it.
    ///
    /// A preparation reads every targeted row: through the map (up to
    /// ``SQLiteStore/Configuration/mmapSizeBytes``, 1 GiB by default) each page read stays
    /// in the process's resident set, so a million profiles would add the whole table
    /// (~300 MB) to the peak RSS. Read through SQLite's page cache instead, the resident
    /// memory stays bounded by `cache_size`; the speed is the same for these scans.
    private static func withoutMemoryMap<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        let mapped = try Int.fetchOne(db, sql: "PRAGMA mmap_size") ?? 0
        guard mapped > 0 else { return try body() }
        try db.execute(sql: "PRAGMA mmap_size = 0")
        defer { try? db.execute(sql: "PRAGMA mmap_size = \(mapped)") }
        return try body()
    }

    /// Steps a statement: `true` on a row, `false` when done.
    private static func step(_ handle: OpaquePointer) throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            let message = sqlite3_db_handle(handle).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "unknown error"
            throw HeraldError.internal("sqlite3_step failed (\(code)): \(message)")
        }
    }

    /// The bytes of `SUBSCRIBED`, the subscription of nearly every profile.
    private static let subscribedBytes = Array(Profile.Subscription.subscribed.rawValue.utf8)

    /// Column `index` of the current row as a subscription (compared as bytes, without
    /// making a string, when it is the usual `SUBSCRIBED`).
    private static func subscription(_ handle: OpaquePointer, _ index: Int32) throws -> Profile.Subscription {
        if let bytes = sqlite3_column_text(handle, index), Int(sqlite3_column_bytes(handle, index)) == subscribedBytes.count {
            var equal = true
            for (i, byte) in subscribedBytes.enumerated() where bytes[i] != byte {
                equal = false
                break
            }
            if equal { return .subscribed }
        }
        let text = Self.text(handle, index)
        guard let subscription = Profile.Subscription(rawValue: text) else {
            throw HeraldError.internal("stored profile has an unknown subscription '\(text)'")
        }
        return subscription
    }

    /// Column `index` of the current row as text (empty when NULL).
    static func text(_ handle: OpaquePointer, _ index: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, index) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, index))), as: UTF8.self)
    }
}
