import HeraldCore
import HeraldStore
import Testing

@Suite("SQLiteStore deliveries and idempotency")
struct SQLiteStoreDeliveryTests {
    static let content = Delivery.Content(
        subject: "Hello {{first_name}}", sender: .init(name: "Shop", address: "news@shop.example"),
        replyTo: "help@shop.example", htmlBody: "<p>Hi</p>", textBody: "Hi"
    )

    static func delivery(_ id: String) -> Delivery {
        Delivery(
            id: id, name: "Delivery \(id)", content: content, audience: .init(filter: #"tags HAS "vip""#),
            schedule: .init(sendTime: Timestamp(seconds: 10), validUntil: Timestamp(seconds: 20)),
            typology: .init(rules: [
                .filtering(name: "f", filter: #"email ENDS WITH "@shop.example""#),
                .pressure(name: "p", maxMessages: 3, periodDays: 7), .capacity(name: "c", maxMessages: 100),
                .controlGroup(name: "g", size: .percent(2.5), seed: 7), .controlGroup(name: "h", size: .count(10), seed: 8),
            ]),
            rateLimitPerSecond: 50, trackingEnabled: false,
            preparation: .init(targeted: 5, toDeliver: 4, toExclude: 1, snapshotHash: "abc"),
            createTime: Timestamp(seconds: 1), updateTime: Timestamp(seconds: 2)
        )
    }

    @Test("create, get, conflict, update, list by state across pages, delete")
    func crud() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            for i in 0..<12 { try await store.createDelivery(Self.delivery("d\(i < 10 ? "0" : "")\(i)")) }
            #expect(try await store.delivery(id: "d03") == Self.delivery("d03"))
            let conflict = await #expect(throws: HeraldError.self) { try await store.createDelivery(Self.delivery("d03")) }
            #expect(conflict?.code == .alreadyExists)

            for id in ["d01", "d05", "d09"] {
                let updated = try await store.updateDelivery(id: id) { delivery in
                    delivery.state = try delivery.state.applying(.prepare)
                    delivery.updateTime = Timestamp(seconds: 3)
                }
                #expect(updated.state == .preparing)
            }
            let refused = await #expect(throws: HeraldError.self) {
                try await store.updateDelivery(id: "d01") { $0.state = try $0.state.applying(.contentChanged) }
            }
            #expect(refused?.code == .failedPrecondition)
            #expect(try await store.delivery(id: "d01")?.state == .preparing)

            let preparing = try await store.listDeliveries(states: [.preparing], after: nil, limit: 2)
            #expect(preparing.items.map(\.id) == ["d01", "d05"] && preparing.nextCursor == "d05")
            let rest = try await store.listDeliveries(states: [.preparing], after: "d05", limit: 2)
            #expect(rest.items.map(\.id) == ["d09"] && rest.nextCursor == nil)
            #expect(try await store.listDeliveries(states: [], after: nil, limit: 10).items.isEmpty)

            var all: [String] = []
            var cursor: String?
            repeat {
                let page = try await store.listDeliveries(states: nil, after: cursor, limit: 5)
                all += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(all == (0..<12).map { "d\($0 < 10 ? "0" : "")\($0)" })

            let active = await #expect(throws: HeraldError.self) {
                try await store.deleteDelivery(id: "d01") { try $0.state.checkDeletable() }
            }
            #expect(active?.code == .failedPrecondition)
            try await store.deleteDelivery(id: "d02") { try $0.state.checkDeletable() }
            #expect(try await store.delivery(id: "d02") == nil)
            let missing = await #expect(throws: HeraldError.self) { try await store.deleteDelivery(id: "d02") { _ in } }
            #expect(missing?.code == .notFound)
        }
    }

    @Test("idempotency records keep the first result and can be purged")
    func idempotency() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            let method = "herald.v1.DeliveryService/CreateDelivery"
            #expect(try await store.idempotentResult(requestID: "r1", method: method) == nil)
            #expect(try await store.recordIdempotentResult(requestID: "r1", method: method, result: [1, 2], at: Timestamp(seconds: 1)) == [1, 2])
            #expect(try await store.recordIdempotentResult(requestID: "r1", method: method, result: [9], at: Timestamp(seconds: 5)) == [1, 2])
            #expect(try await store.idempotentResult(requestID: "r1", method: method) == [1, 2])
            #expect(try await store.recordIdempotentResult(requestID: "r1", method: "other", result: [], at: Timestamp(seconds: 5)) == [])
            #expect(try await store.purgeIdempotencyRecords(before: Timestamp(seconds: 3)) == 1)
            #expect(try await store.idempotentResult(requestID: "r1", method: method) == nil)
            #expect(try await store.idempotentResult(requestID: "r1", method: "other") == [])
        }
    }
}
