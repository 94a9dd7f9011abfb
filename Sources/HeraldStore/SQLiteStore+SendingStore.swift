internal import GRDB
public import HeraldCore

/// The sending columns of `messages` (migration v3). Rows move only out of PENDING, in
/// one statement each, so the counts by status always add up to the delivery's rows.
extension SQLiteStore: SendingStore {
    public func pendingEntries(deliveryID: String, after: Int, limit: Int) async throws -> [LedgerEntry] {
        let limit = max(0, limit)
        return try await read("pendingEntries") { db in
            let statement = RawStatement(try db.cachedStatement(sql: """
                SELECT \(LedgerRows.columns) FROM messages
                WHERE delivery_id = ? AND status = 'PENDING' AND seq > ? ORDER BY seq LIMIT ?
                """))
            try statement.bind(1, deliveryID)
            try statement.bind(2, Int64(after))
            try statement.bind(3, Int64(limit))
            return try LedgerRows.read(statement, deliveryID: deliveryID, limit: limit)
        }
    }

    public func recordRetry(
        deliveryID: String, sequence: Int, attempts: Int, reply: String, at time: Timestamp, nextAttempt: Timestamp
    ) async throws {
        _ = try await write("recordRetry") { db in
            try Self.apply(
                [.retry(sequence: sequence, attempts: attempts, reply: reply, time: time, nextAttempt: nextAttempt)], deliveryID, db
            )
        }
    }

    @discardableResult
    public func markSent(deliveryID: String, sequence: Int, attempts: Int, reply: String, at time: Timestamp) async throws -> Bool {
        try await write("markSent") { db in
            try Self.apply([.sent(sequence: sequence, attempts: attempts, reply: reply, time: time)], deliveryID, db) == 1
        }
    }

    @discardableResult
    public func markFailed(
        deliveryID: String, sequence: Int, reason: MessageFailureReason, attempts: Int, reply: String, at time: Timestamp
    ) async throws -> Bool {
        try await write("markFailed") { db in
            try Self.apply(
                [.failed(sequence: sequence, reason: reason, attempts: attempts, reply: reply, time: time)], deliveryID, db
            ) == 1
        }
    }

    /// The most updates a transaction run on the caller's thread holds.
    static let maxInlineUpdates = 64
    /// Log frames a transaction run on the caller's thread leaves free below the log's
    /// limit, so that its commit never waits for a checkpoint (see ``WALCheckpointer``).
    static let inlineLogMargin = 1_024

    /// Commits on the caller's thread when no other write is queued or running and the
    /// group is small: GRDB's synchronous write enters its idle writer queue without a
    /// thread switch (`dispatch_sync` runs the block on the calling thread), where the
    /// asynchronous one hops to the writer's thread and the caller is woken again
    /// afterwards — two wake-ups per group commit while sending. Blocking the caller is
    /// brief and bounded: the transaction updates at most ``maxInlineUpdates`` rows by
    /// primary key, a WAL commit with `synchronous = NORMAL` does not wait for the disk,
    /// and the commit cannot wait for a checkpoint (the log is at least
    /// ``inlineLogMargin`` frames below its limit); the same CPU work would otherwise run
    /// on the writer's thread while the caller waits. Otherwise the write is queued as
    /// every other one.
    public func applyLedgerUpdates(_ updates: [LedgerUpdate], deliveryID: String) async throws {
        guard !updates.isEmpty else { return }
        if updates.count <= Self.maxInlineUpdates,
            checkpointer.framesAfterLastCommit + Self.inlineLogMargin <= checkpointer.maxLogFrames, writes.beginIfIdle()
        {
            defer { writes.end() }
            do {
                _ = try writeOnCallerThread { db in try LedgerWriter.inTransaction(db) { try Self.apply(updates, deliveryID, db) } }
                writes.ranInline()
            } catch {
                throw Self.heraldError(error, "applyLedgerUpdates")
            }
            return
        }
        writes.begin()
        defer { writes.end() }
        _ = try await mapErrors("applyLedgerUpdates") {
            try await pool.writeWithoutTransaction { db in
                try LedgerWriter.inTransaction(db) { try Self.apply(updates, deliveryID, db) }
            }
        }
    }

    /// GRDB's synchronous write without its transaction (the caller makes one); a
    /// synchronous context selects it over the asynchronous one.
    private func writeOnCallerThread<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction(body)
    }

    /// Applies `updates` in the current transaction; returns how many rows changed.
    private static func apply(_ updates: [LedgerUpdate], _ deliveryID: String, _ db: Database) throws -> Int {
        var writer = LedgerWriter(db: db, deliveryID: deliveryID)
        return try writer.apply(updates)
    }

    public func softFailureCount(address: String, since: Timestamp) async throws -> Int {
        try await read("softFailureCount") { db in
            // Served by the partial index messages_soft_failures (migration v5).
            try Int.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM messages
                    WHERE address = ? COLLATE NOCASE AND status = 'FAILED'
                        AND failure_reason IN ('TRANSIENT_EXHAUSTED', 'MAILBOX_FULL') AND status_time >= ?
                    """,
                arguments: [address, since.microsecondsSinceEpoch]
            ) ?? 0
        }
    }

    public func cancelPending(deliveryID: String, at time: Timestamp) async throws -> Int {
        try await write("cancelPending") { db in
            try db.execute(
                sql: """
                    UPDATE messages SET status = 'CANCELLED', status_time = ?, next_attempt_time = NULL
                    WHERE delivery_id = ? AND status = 'PENDING'
                    """,
                arguments: [time.microsecondsSinceEpoch, deliveryID]
            )
            return db.changesCount
        }
    }

    public func sendingCounts(deliveryID: String) async throws -> SendingCounts {
        try await read("sendingCounts") { db in
            var counts = SendingCounts()
            let rows = try Row.fetchAll(
                db, sql: "SELECT status, count(*) FROM messages WHERE delivery_id = ? GROUP BY status", arguments: [deliveryID]
            )
            for row in rows {
                let status: String = row[0]
                let count: Int = row[1]
                switch PreparedMessage.Status(rawValue: status) {
                case .pending: counts.pending = count
                case .sent: counts.sent = count
                case .failed: counts.failed = count
                case .cancelled: counts.cancelled = count
                case nil: throw HeraldError.internal("stored message has an unknown status '\(status)'")
                }
            }
            return counts
        }
    }

    public func listLedger(
        deliveryID: String, statuses: Set<PreparedMessage.Status>?, after: String?, limit: Int
    ) async throws -> Page<LedgerEntry> {
        let limit = max(0, limit)
        let start = after.flatMap { Int($0) } ?? 0
        if let after, Int(after).map({ $0 < 0 }) ?? true {
            throw HeraldError.invalidArgument("invalid page token '\(after)'")
        }
        return try await read("listLedger") { db in
            let filter = statuses == nil ? "" : " AND status IN (SELECT value FROM json_each(?4))"
            let statement = RawStatement(try db.cachedStatement(sql: """
                SELECT \(LedgerRows.columns) FROM messages WHERE delivery_id = ?1 AND seq > ?2\(filter) ORDER BY seq LIMIT ?3
                """))
            try statement.bind(1, deliveryID)
            try statement.bind(2, Int64(start))
            try statement.bind(3, Int64(limit) + 1)
            if let statuses { try statement.bind(4, CompactJSON.encode(statuses.map(\.rawValue).sorted())) }
            let rows = try LedgerRows.read(statement, deliveryID: deliveryID, limit: limit + 1)
            let items = Array(rows.prefix(limit))
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { String($0.message.sequence) } : nil)
        }
    }
}
