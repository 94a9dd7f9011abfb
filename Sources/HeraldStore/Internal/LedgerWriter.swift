internal import GRDB
import HeraldCore

/// Applies ledger updates (``LedgerUpdate``) inside a write transaction through cached
/// statements bound with the SQLite C API: no SQL text or argument array per update, the
/// texts bound where they are (`SQLITE_STATIC`), the delivery id bound once per statement.
///
/// Each statement moves only a PENDING row, so a row leaves PENDING once. Create one per
/// transaction; ``finish()`` unbinds the texts before they go away.
struct LedgerWriter: ~Copyable {
    /// Parameters: ?1 time, ?2 attempts, ?3 reply, ?4 delivery id, ?5 sequence.
    static let markSentSQL = """
        UPDATE messages SET status = 'SENT', status_time = ?1, sent_time = ?1, last_attempt_time = ?1,
            next_attempt_time = NULL, attempts = ?2, reply_text = ?3
        WHERE delivery_id = ?4 AND seq = ?5 AND status = 'PENDING'
        """
    /// Parameters: ?1 time, ?2 attempts, ?3 reply, ?4 delivery id, ?5 sequence, ?6 reason,
    /// ?7 last attempt time (NULL when there was no attempt).
    static let markFailedSQL = """
        UPDATE messages SET status = 'FAILED', status_time = ?1, failure_reason = ?6, last_attempt_time = ?7,
            next_attempt_time = NULL, attempts = ?2, reply_text = ?3
        WHERE delivery_id = ?4 AND seq = ?5 AND status = 'PENDING'
        """
    /// Parameters: ?1 time, ?2 attempts, ?3 reply, ?4 delivery id, ?5 sequence, ?6 next attempt time.
    static let recordRetrySQL = """
        UPDATE messages SET attempts = ?2, reply_text = ?3, last_attempt_time = ?1, next_attempt_time = ?6
        WHERE delivery_id = ?4 AND seq = ?5 AND status = 'PENDING'
        """

    /// Runs `body` in a transaction begun and ended with cached statements (GRDB's own
    /// transactions parse `BEGIN` and `COMMIT` again for every one, which cost more than
    /// the updates of a small group): committed when `body` returns, rolled back when it
    /// or the commit throws.
    static func inTransaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try RawStatement(try db.cachedStatement(sql: "BEGIN IMMEDIATE")).run()
        do {
            let result = try body()
            try RawStatement(try db.cachedStatement(sql: "COMMIT")).run()
            return result
        } catch {
            if db.isInsideTransaction { try? RawStatement(try db.cachedStatement(sql: "ROLLBACK")).run() }
            throw error
        }
    }

    private let db: Database
    /// The delivery id's bytes, bound statically: valid until ``finish()``.
    private let deliveryID: UnsafeMutableBufferPointer<UInt8>
    private var sent: RawStatement?
    private var failed: RawStatement?
    private var retry: RawStatement?

    init(db: Database, deliveryID: String) {
        self.db = db
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: deliveryID.utf8.count)
        _ = bytes.initialize(from: deliveryID.utf8)
        self.deliveryID = bytes
    }

    deinit {
        for statement in [sent, failed, retry] { statement?.clearBindings() }
        deliveryID.deallocate()
    }

    /// Applies `updates` in order; returns how many rows changed (rows no longer PENDING
    /// are left alone).
    mutating func apply(_ updates: [LedgerUpdate]) throws -> Int {
        var changed = 0
        for update in updates {
            switch update {
            case .sent(let sequence, let attempts, let reply, let time):
                let statement = try Self.statement(&sent, Self.markSentSQL, db, deliveryID)
                changed += try Self.run(statement, sequence: sequence, attempts: attempts, reply: reply, time: time)
            case .failed(let sequence, let reason, let attempts, let reply, let time):
                let statement = try Self.statement(&failed, Self.markFailedSQL, db, deliveryID)
                var reasonText = reason.rawValue
                changed += try reasonText.withUTF8 { reasonBytes in
                    try statement.bindStatic(6, reasonBytes)
                    if attempts > 0 {
                        try statement.bind(7, time.microsecondsSinceEpoch)
                    } else {
                        try statement.bindNull(7)
                    }
                    return try Self.run(statement, sequence: sequence, attempts: attempts, reply: reply, time: time)
                }
            case .retry(let sequence, let attempts, let reply, let time, let nextAttempt):
                let statement = try Self.statement(&retry, Self.recordRetrySQL, db, deliveryID)
                try statement.bind(6, nextAttempt.microsecondsSinceEpoch)
                changed += try Self.run(statement, sequence: sequence, attempts: attempts, reply: reply, time: time)
            }
        }
        return changed
    }

    /// The statement in `slot`, prepared (or taken from the connection's cache) and bound
    /// to the delivery on first use.
    private static func statement(
        _ slot: inout RawStatement?, _ sql: String, _ db: Database, _ deliveryID: UnsafeMutableBufferPointer<UInt8>
    ) throws -> RawStatement {
        if let statement = slot { return statement }
        let statement = RawStatement(try db.cachedStatement(sql: sql))
        try statement.bindStatic(4, UnsafeBufferPointer(deliveryID))
        slot = statement
        return statement
    }

    /// Binds the parameters every statement shares, runs it; returns the rows changed.
    private static func run(_ statement: RawStatement, sequence: Int, attempts: Int, reply: String, time: Timestamp) throws -> Int {
        try statement.bind(1, time.microsecondsSinceEpoch)
        try statement.bind(2, Int64(attempts))
        try statement.bind(5, Int64(sequence))
        var reply = reply
        return try reply.withUTF8 { bytes in
            try statement.bindStatic(3, bytes)
            try statement.run()
            return statement.changes
        }
    }
}
