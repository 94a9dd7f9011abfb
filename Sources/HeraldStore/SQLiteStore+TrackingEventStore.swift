import Foundation
internal import GRDB
public import HeraldCore

/// Tracking events (migration v5). A batch is one write transaction, and SQLite has one
/// writer: events are applied one after the other, so whether an event is a recipient's
/// first open or click is decided exactly, whatever arrives concurrently.
///
/// Per event: one row appended to `tracking_events`. Per recipient of the batch: its
/// message's send time and its `engagement` row (first open, first human open and first
/// click times, counts, flags), from the ``TrackingRecipientCache`` or else one lookup of
/// its ledger row joined with its engagement row; the engagement row is rewritten once at
/// the end of the batch. Per delivery: `engagement_totals` moved by the difference (written once per batch).
///
/// Opens are split into human and machine per recipient: `opens` counts recipients with
/// at least one human open, `machine_opens` those whose opens all look automatic (so a
/// recipient moves from the second to the first on its first human open); `total_opens`
/// counts every open event.
extension SQLiteStore: TrackingEventStore {
    public func recordTrackingEvents(_ events: [TrackingEvent], machineOpenWindowSeconds: Int) throws -> TrackingBatchResult {
        guard !events.isEmpty else { return TrackingBatchResult(outcomes: []) }
        let window = Int64(max(0, machineOpenWindowSeconds)) * 1_000_000
        writes.begin()
        defer { writes.end() }
        do {
            // Synchronous: GRDB runs the transaction on the calling (writer) thread.
            return try pool.write { db in
                var batch = try TrackingBatch(db: db, machineOpenWindow: window, cache: trackingRecipients)
                var outcomes: [TrackingBatchResult.Outcome] = []
                outcomes.reserveCapacity(events.count)
                for event in events {
                    outcomes.append(try batch.apply(event))
                }
                let engagement = try batch.finish()
                return TrackingBatchResult(outcomes: outcomes, engagement: engagement, ledgerChanged: batch.ledgerChanged)
            }
        } catch {
            throw Self.heraldError(error, "recordTrackingEvents")
        }
    }

    public func trackedMessage(deliveryID: String, sequence: Int) async throws -> TrackedMessage? {
        try await read("trackedMessage") { db in
            try TrackingBatch.message(db, deliveryID: deliveryID, sequence: sequence)
        }
    }

    public func engagementCounts(deliveryID: String) async throws -> EngagementCounts {
        try await read("engagementCounts") { db in
            try TrackingBatch.totals(db, deliveryID: deliveryID)
        }
    }

    public func trackingKeys() async throws -> [(id: String, secret: [UInt8])] {
        let rows = try await read("trackingKeys") { db in
            try Row.fetchAll(db, sql: "SELECT key_id, secret FROM tracking_keys ORDER BY created_at, key_id").map { row -> KeyRow in
                let secret: Data = row[1]
                return KeyRow(id: row[0], secret: [UInt8](secret))
            }
        }
        return rows.map { ($0.id, $0.secret) }
    }

    public func addTrackingKey(id: String, secret: [UInt8], at time: Timestamp) async throws {
        try await write("addTrackingKey") { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO tracking_keys (key_id, secret, created_at) VALUES (?, ?, ?)",
                arguments: [id, Data(secret), time.microsecondsSinceEpoch]
            )
        }
    }
}

private struct KeyRow: Sendable {
    var id: String
    var secret: [UInt8]
}
