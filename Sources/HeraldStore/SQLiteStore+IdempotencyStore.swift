import Foundation
internal import GRDB
public import HeraldCore

extension SQLiteStore: IdempotencyStore {
    public func idempotentResult(requestID: String, method: String) async throws -> [UInt8]? {
        try await read("idempotentResult") { db in
            try Data.fetchOne(
                db, sql: "SELECT result FROM idempotency_records WHERE request_id = ? AND method = ?",
                arguments: [requestID, method]
            ).map { [UInt8]($0) }
        }
    }

    public func recordIdempotentResult(
        requestID: String, method: String, result: [UInt8], at time: Timestamp
    ) async throws -> [UInt8] {
        try await write("recordIdempotentResult") { db in
            try db.execute(
                sql: """
                    INSERT INTO idempotency_records (request_id, method, result, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (request_id, method) DO NOTHING
                    """,
                arguments: [requestID, method, Data(result), time.microsecondsSinceEpoch]
            )
            if db.changesCount == 1 { return result }
            let stored = try Data.fetchOne(
                db, sql: "SELECT result FROM idempotency_records WHERE request_id = ? AND method = ?",
                arguments: [requestID, method]
            )
            return stored.map { [UInt8]($0) } ?? result
        }
    }

    public func purgeIdempotencyRecords(before time: Timestamp) async throws -> Int {
        try await write("purgeIdempotencyRecords") { db in
            try db.execute(sql: "DELETE FROM idempotency_records WHERE created_at < ?", arguments: [time.microsecondsSinceEpoch])
            return db.changesCount
        }
    }
}
