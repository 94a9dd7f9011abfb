import HeraldCore
import Testing

@Suite("In-memory stores")
struct InMemoryStoreTests {
    @Test("profiles: upsert with per-row errors, paging by id, count, subscription, delete")
    func profiles() async throws {
        let store: any ProfileStore = InMemoryProfileStore()
        let t1 = Timestamp(seconds: 100), t2 = Timestamp(seconds: 200)
        let rows = (0..<25).map { Profile(id: "p\(String(format2: $0))", email: "u\($0)@x.example", tags: $0 % 2 == 0 ? ["even", "even"] : []) }
        let result = try await store.upsertProfiles(rows + [Profile(id: "")], at: t1)
        #expect(result.created == 25)
        #expect(result.errors.map(\.index) == [25])
        let again = try await store.upsertProfiles([Profile(id: "p00", email: "new@x.example")], at: t2)
        #expect(again.updated == 1)
        let p00 = try #require(await store.profile(id: "p00"))
        #expect(p00.createdAt == t1 && p00.updatedAt == t2 && p00.email == "new@x.example")
        #expect(try #require(await store.profile(id: "p02")).tags == ["even"])

        var ids: [String] = []
        var cursor: String?
        repeat {
            let page = try await store.listProfiles(matching: .all, after: cursor, limit: 10)
            ids += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(ids == rows.map(\.id))

        #expect(try await store.countProfiles(matching: AudienceFilter(parsing: #"tags HAS "even""#)) == 12)
        #expect(try await store.setSubscription(id: "p01", to: .denylisted, at: t2)?.subscription == .denylisted)
        #expect(try await store.setSubscription(id: "nope", to: .denylisted, at: t2) == nil)
        #expect(try await store.deleteProfile(id: "p01"))
        #expect(try await !store.deleteProfile(id: "p01"))
        #expect(try await store.countProfiles(matching: .all) == 24)
    }

    @Test("deliveries: create, conflict, atomic update, list by state, delete with a check")
    func deliveries() async throws {
        let store: any DeliveryStore = InMemoryDeliveryStore()
        let content = Delivery.Content(subject: "s", sender: .init(address: "a@b.example"), htmlBody: "h")
        for i in 0..<5 { try await store.createDelivery(Delivery(id: "d\(i)", name: "n\(i)", content: content)) }
        await #expect(throws: HeraldError.self) { try await store.createDelivery(Delivery(id: "d0", name: "x", content: content)) }
        let updated = try await store.updateDelivery(id: "d1") { $0.state = try $0.state.applying(.prepare) }
        #expect(updated.state == .preparing)
        #expect(try await store.listDeliveries(states: [.preparing], after: nil, limit: 10).items.map(\.id) == ["d1"])
        let page = try await store.listDeliveries(states: nil, after: "d1", limit: 2)
        #expect(page.items.map(\.id) == ["d2", "d3"] && page.nextCursor == "d3")
        await #expect(throws: HeraldError.self) { try await store.deleteDelivery(id: "d1") { try $0.state.checkDeletable() } }
        try await store.deleteDelivery(id: "d2") { try $0.state.checkDeletable() }
        #expect(try await store.delivery(id: "d2") == nil)
        let missing = await #expect(throws: HeraldError.self) { try await store.updateDelivery(id: "zz") { _ in } }
        #expect(missing?.code == .notFound)
    }

    @Test("idempotency keeps the first result per request id and method")
    func idempotency() async throws {
        let store: any IdempotencyStore = InMemoryIdempotencyStore()
        #expect(try await store.idempotentResult(requestID: "r", method: "m") == nil)
        #expect(try await store.recordIdempotentResult(requestID: "r", method: "m", result: [1], at: Timestamp(seconds: 1)) == [1])
        #expect(try await store.recordIdempotentResult(requestID: "r", method: "m", result: [2], at: Timestamp(seconds: 2)) == [1])
        #expect(try await store.recordIdempotentResult(requestID: "r", method: "other", result: [3], at: Timestamp(seconds: 2)) == [3])
        #expect(try await store.purgeIdempotencyRecords(before: Timestamp(seconds: 2)) == 1)
        #expect(try await store.idempotentResult(requestID: "r", method: "m") == nil)
    }
}

extension String {
    init(format2 value: Int) {
        self = value < 10 ? "0\(value)" : "\(value)"
    }
}
