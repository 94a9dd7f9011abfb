import HeraldCore
@testable import HeraldStore
import Testing

/// UpdateDelivery's clean-up of a stale preparation against a new PrepareDelivery,
/// interleaved step by step in the order that lost the new run's rows before.
@Suite("SQLiteStore: stale preparation clean-up")
struct SQLiteStoreStaleCleanupTests {
    private static func results(_ store: SQLiteStore, _ id: String) async throws -> (messages: Int, exclusions: Int, logs: Int) {
        let messages = try await store.listMessages(deliveryID: id, statuses: nil, after: nil, limit: 100).items.count
        let exclusions = try await store.listExclusions(deliveryID: id, causes: nil, after: nil, limit: 100).items.count
        let logs = try await store.listLogEntries(deliveryID: id, minimumSeverity: nil, after: nil, limit: 100).items.count
        return (messages, exclusions, logs)
    }

    /// What one preparation run writes: 3 PENDING messages, 1 exclusion, 1 log entry.
    private static func writeRun(_ store: SQLiteStore, _ id: String, tag: String) async throws {
        try await store.discardPreparation(deliveryID: id)
        try await store.appendMessages((1...3).map {
            PreparedMessage(deliveryID: id, sequence: $0, profileID: "\(tag)\($0)", address: "\(tag)\($0)@example.com", trackingID: "\(id).\($0)")
        })
        try await store.appendExclusions([Exclusion(profileID: "\(tag)x", address: "", cause: .addressNotSpecified)], deliveryID: id)
        try await store.appendLogEntries(
            [PreparationLogEntry(sequence: 1, time: Timestamp(seconds: 5), severity: .info, code: "SUMMARY", message: tag)],
            deliveryID: id
        )
    }

    private static func ready(_ store: SQLiteStore, _ id: String, at seconds: Int64) async throws {
        _ = try await store.updateDelivery(id: id) { delivery in
            delivery.state = try delivery.state.applying(.prepare)
            delivery.updateTime = Timestamp(seconds: seconds)
        }
        _ = try await store.updateDelivery(id: id) { delivery in
            delivery.state = try delivery.state.applying(.preparationSucceeded)
            delivery.updateTime = Timestamp(seconds: seconds + 1)
        }
    }

    /// UpdateDelivery's first step: READY → DRAFT (stale); returns the delivery.
    private static func update(_ store: SQLiteStore, _ id: String, at seconds: Int64) async throws -> Delivery {
        try await store.updateDelivery(id: id) { delivery in
            delivery.state = try delivery.state.applying(.contentChanged)
            delivery.name = "changed at \(seconds)"
            delivery.updateTime = Timestamp(seconds: seconds)
        }
    }

    @Test("a PrepareDelivery between the update and its clean-up keeps its run's rows")
    func preparationBetweenUpdateAndCleanup() async throws {
        try await withTemporaryStore { store, _ in
            var delivery = SQLiteStoreDeliveryTests.delivery("d1")
            delivery.state = .draft
            try await store.createDelivery(delivery)
            try await Self.ready(store, "d1", at: 10)
            try await Self.writeRun(store, "d1", tag: "old")
            // UpdateDelivery commits the change …
            let updated = try await Self.update(store, "d1", at: 20)
            // … a PrepareDelivery lands: PREPARING, its run discards the old rows and writes its own …
            _ = try await store.updateDelivery(id: "d1") { delivery in
                delivery.state = try delivery.state.applying(.prepare)
                delivery.updateTime = Timestamp(seconds: 21)
            }
            try await Self.writeRun(store, "d1", tag: "new")
            // … then the update's clean-up runs: it must leave the running preparation's rows.
            #expect(try await store.discardStalePreparation(deliveryID: "d1", updatedAt: updated.updateTime) == false)
            #expect(try await Self.results(store, "d1") == (3, 1, 1))
            // The same when that run has already ended READY before the clean-up.
            _ = try await store.updateDelivery(id: "d1") { delivery in
                delivery.state = try delivery.state.applying(.preparationSucceeded)
                delivery.updateTime = Timestamp(seconds: 22)
            }
            #expect(try await store.discardStalePreparation(deliveryID: "d1", updatedAt: updated.updateTime) == false)
            let kept = try await store.listMessages(deliveryID: "d1", statuses: nil, after: nil, limit: 100).items
            #expect(kept.map(\.profileID) == ["new1", "new2", "new3"])
        }
    }

    @Test("the clean-up right after the update discards the stale rows")
    func cleanupAfterUpdate() async throws {
        try await withTemporaryStore { store, _ in
            var delivery = SQLiteStoreDeliveryTests.delivery("d2")
            delivery.state = .draft
            try await store.createDelivery(delivery)
            try await Self.ready(store, "d2", at: 10)
            try await Self.writeRun(store, "d2", tag: "old")
            let updated = try await Self.update(store, "d2", at: 20)
            #expect(try await store.discardStalePreparation(deliveryID: "d2", updatedAt: updated.updateTime))
            #expect(try await Self.results(store, "d2") == (0, 0, 0))
        }
    }

    @Test("ledger rows written in multi-row groups and one by one read back exactly")
    func ledgerGroups() async throws {
        try await withTemporaryStore { store, _ in
            // Two full groups and a remainder; a SENT row with a time among them.
            let count = 2 * SQLiteStore.messagesPerInsert + 23
            let rows = (1...count).map { i in
                PreparedMessage(
                    deliveryID: "d3", sequence: i, profileID: "p\(i)", address: "p\(i)@example.com", trackingID: "d3.\(i)",
                    status: i == 77 ? .sent : .pending, statusTime: i == 77 ? Timestamp(seconds: 9) : nil
                )
            }
            try await store.appendMessages(rows)
            let read = try await store.listMessages(deliveryID: "d3", statuses: nil, after: nil, limit: 1_000).items
            #expect(read == rows)
            // Written again (OR REPLACE): still one row each.
            try await store.appendMessages(rows)
            #expect(try await store.listMessages(deliveryID: "d3", statuses: nil, after: nil, limit: 1_000).items.count == count)
        }
    }
}
