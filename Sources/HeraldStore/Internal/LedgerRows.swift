internal import GRDB
import HeraldCore

/// Reads ledger rows (``LedgerEntry``) of one delivery from `SELECT <columns> FROM messages …`
/// through the SQLite C API: columns read straight from the statement, no `Row`, no
/// boxed values (the sender reads every PENDING row of a delivery this way).
enum LedgerRows {
    /// The selected columns, in the order ``read(_:deliveryID:limit:)`` expects.
    static let columns = """
        seq, profile_id, address, tracking_id, status, status_time, failure_reason, reply_text, attempts,
        last_attempt_time, next_attempt_time, sent_time
        """

    /// Steps `statement` (already bound) through at most `limit` rows, then resets it.
    static func read(_ statement: RawStatement, deliveryID: String, limit: Int) throws -> [LedgerEntry] {
        defer { statement.reset() }
        var entries: [LedgerEntry] = []
        entries.reserveCapacity(min(limit, 1_024))
        func time(_ index: Int32) -> Timestamp? {
            statement.optionalInt64(index).map(Timestamp.init(microsecondsSinceEpoch:))
        }
        while entries.count < limit, try statement.step() {
            let rawStatus = statement.text(4)
            guard let status = PreparedMessage.Status(rawValue: rawStatus) else {
                throw HeraldError.internal("stored message has an unknown status '\(rawStatus)'")
            }
            let message = PreparedMessage(
                deliveryID: deliveryID, sequence: Int(statement.int64(0)), profileID: statement.text(1), address: statement.text(2),
                trackingID: statement.text(3), status: status, statusTime: time(5)
            )
            entries.append(LedgerEntry(
                message: message, failureReason: statement.optionalText(6).flatMap(MessageFailureReason.init(rawValue:)),
                replyText: statement.text(7), attempts: Int(statement.int64(8)), lastAttemptTime: time(9),
                nextAttemptTime: time(10), sentTime: time(11)
            ))
        }
        return entries
    }
}
