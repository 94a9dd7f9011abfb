import Foundation
import HeraldCore
@testable import HeraldStore
import Logging
import Testing

/// The tracking recorder's store: recipients kept between batches (TrackingRecipientCache)
/// give the same counts as reading the database every time.
@Suite("SQLite tracking events")
struct SQLiteStoreTrackingTests {
    static let sentAt: Int64 = 1_800_000_000_000_000
    static let second: Int64 = 1_000_000

    /// Three ledger rows of delivery `d`: 1 and 2 SENT at `sentAt`, 3 PENDING.
    static func ledger(_ store: SQLiteStore) throws {
        try store.pool.write { db in
            for (seq, status, sent) in [(1, "SENT", sentAt), (2, "SENT", sentAt), (3, "PENDING", nil) as (Int, String, Int64?)] {
                try db.execute(
                    sql: """
                        INSERT INTO messages (delivery_id, seq, profile_id, address, tracking_id, status, sent_time)
                        VALUES ('d', ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [seq, "p\(seq)", "p\(seq)@example.com", "d.\(seq)", status, sent]
                )
            }
        }
    }

    static func open(_ seq: Int, at offset: Int64, machine: Bool = false) -> TrackingEvent {
        TrackingEvent(
            deliveryID: "d", sequence: seq, time: Timestamp(microsecondsSinceEpoch: sentAt + offset),
            kind: .open(userAgent: "test", machine: machine)
        )
    }

    @Test("opens over several batches count each recipient once; a message sent after its first event is read again")
    func cachedRecipients() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var store = try SQLiteStore(path: directory.databasePath, logger: Logger(label: "test"))
        try Self.ledger(store)
        let window = 5
        // Batch 1: recipient 1 opens twice (human, 60 s after the send), 3 (not sent yet)
        // complains, an unknown message is refused.
        var result = try store.recordTrackingEvents(
            [
                Self.open(1, at: 60 * Self.second), Self.open(1, at: 61 * Self.second),
                TrackingEvent(deliveryID: "d", sequence: 3, time: Timestamp(microsecondsSinceEpoch: Self.sentAt), kind: .complaint(feedbackType: "abuse")),
                Self.open(9, at: 60 * Self.second),
            ],
            machineOpenWindowSeconds: window
        )
        #expect(result.outcomes == [.recorded, .recorded, .recorded, .unknownMessage])
        #expect(result.engagement["d"] == EngagementCounts(opens: 1, totalOpens: 2, complaints: 1))
        // Only the sent recipient is kept: 3 has no send time yet.
        #expect(store.trackingRecipients.count == 1)

        // Batch 2: recipient 1 again (from the cache: still one distinct open), recipient 2
        // within the machine-open window.
        result = try store.recordTrackingEvents([Self.open(1, at: 90 * Self.second), Self.open(2, at: 2 * Self.second)], machineOpenWindowSeconds: window)
        #expect(result.engagement["d"] == EngagementCounts(opens: 1, machineOpens: 1, totalOpens: 4, complaints: 1))
        #expect(store.trackingRecipients.count == 2)

        // Message 3 is sent now; an open 1 s later is a machine open, which it would not
        // be had its missing send time been kept.
        try await store.pool.write { db in
            try db.execute(sql: "UPDATE messages SET status = 'SENT', sent_time = ? WHERE delivery_id = 'd' AND seq = 3", arguments: [Self.sentAt + 100 * Self.second])
        }
        result = try store.recordTrackingEvents([Self.open(3, at: 101 * Self.second)], machineOpenWindowSeconds: window)
        let expected = EngagementCounts(opens: 1, machineOpens: 2, totalOpens: 5, complaints: 1)
        #expect(result.engagement["d"] == expected)

        // The records written match the cache: a new store (empty cache) counts the same.
        try store.close()
        store = try SQLiteStore(path: directory.databasePath, logger: Logger(label: "test"))
        #expect(try await store.engagementCounts(deliveryID: "d") == expected)
        #expect(store.trackingRecipients.count == 0)
        result = try store.recordTrackingEvents([Self.open(1, at: 200 * Self.second), Self.open(2, at: 200 * Self.second)], machineOpenWindowSeconds: window)
        // Recipient 2's first human open moves it from machine opens to opens.
        #expect(result.engagement["d"] == EngagementCounts(opens: 2, machineOpens: 1, totalOpens: 7, complaints: 1))
        let openCount = try await store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT open_count FROM engagement WHERE delivery_id = 'd' AND seq = 1")
        }
        #expect(openCount == 4)
        try store.close()
    }
}
