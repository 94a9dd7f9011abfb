import HeraldCore
@testable import HeraldStore
import Logging
import Testing

@Suite("SQLiteStore profiles")
struct SQLiteStoreProfileTests {
    static let t1 = Timestamp(seconds: 1_700_000_000)
    static let t2 = Timestamp(seconds: 1_700_000_500)

    static let anna = Profile(
        id: "anna", email: "anna@example.se", firstName: "Anna", lastName: "Berg", locale: "sv-SE",
        timeZone: "Europe/Stockholm", tags: ["vip", "news", "vip"], attributes: ["country": "SE", "age": "34"],
        subscription: .subscribed
    )

    @Test("upsert and get round-trip every field; tags are normalized; timestamps come from the call")
    func roundTrip() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            let result = try await store.upsertProfiles([Self.anna], at: Self.t1)
            #expect(result.created == 1 && result.updated == 0 && result.errors.isEmpty)
            var expected = Self.anna.normalized()
            expected.createdAt = Self.t1
            expected.updatedAt = Self.t1
            #expect(try await store.profile(id: "anna") == expected)
            #expect(expected.tags == ["news", "vip"])
            #expect(try await store.profile(id: "nobody") == nil)
        }
    }

    @Test("a replacing upsert keeps created_at and replaces tags and attributes")
    func replace() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            _ = try await store.upsertProfiles([Self.anna], at: Self.t1)
            var changed = Self.anna
            changed.tags = ["news", "beta"]
            changed.attributes = ["country": "NO", "plan": "pro"]
            changed.email = "anna@example.no"
            let result = try await store.upsertProfiles([changed], at: Self.t2)
            #expect(result.created == 0 && result.updated == 1)
            let stored = try #require(try await store.profile(id: "anna"))
            #expect(stored.createdAt == Self.t1 && stored.updatedAt == Self.t2)
            #expect(stored.tags == ["beta", "news"] && stored.attributes == ["country": "NO", "plan": "pro"])
            for (filter, count) in [
                (#"tags HAS "vip""#, 0), (#"tags HAS "beta""#, 1), (#"tags HAS "news""#, 1),
                (#"attributes.age EXISTS"#, 0), (#"attributes.country = "NO""#, 1), (#"attributes.plan = "pro""#, 1),
                (#"created_at < 1700000001 AND updated_at > 1700000001"#, 1),
            ] {
                #expect(try await store.countProfiles(matching: AudienceFilter(parsing: filter)) == count, "\(filter)")
            }
        }
    }

    @Test("bad rows are reported by index and the good rows of the batch are written")
    func perRowErrors() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            let batch = [
                Profile(id: "a"), Profile(id: ""), Profile(id: "b", attributes: ["bad key": "x"]),
                Profile(id: "c", email: "c\u{0}@x.example"), Profile(id: "d"), Profile(id: "a", firstName: "again"),
            ]
            let result = try await store.upsertProfiles(batch, at: Self.t1)
            #expect(result.created == 2 && result.updated == 1)
            #expect(result.errors.map(\.index) == [1, 2, 3])
            #expect(result.errors.map(\.id) == ["", "b", "c"])
            #expect(result.errors.allSatisfy { $0.error.code == .invalidArgument })
            #expect(try await store.allIDs(matching: .all) == ["a", "d"])
            #expect(try await store.profile(id: "a")?.firstName == "again")
        }
    }

    @Test("a batch over 10,000 rows is refused as a whole")
    func oversizedBatch() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            let batch = (0...10_000).map { Profile(id: "p\($0)") }
            let error = await #expect(throws: HeraldError.self) { try await store.upsertProfiles(batch, at: Self.t1) }
            #expect(error?.code == .invalidArgument)
            #expect(try await store.countProfiles(matching: .all) == 0)
        }
    }

    @Test("paging with a filter walks every page in byte order of ids, without repeats")
    func paging() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            let ids = (0..<250).map { "p\($0)" } + ["Z", "a", "é", "e\u{301}", "日本", "😀", "p", ""]
            let rows = ids.filter { !$0.isEmpty }.enumerated().map { index, id in
                Profile(id: id, tags: index % 3 == 0 ? ["third"] : [])
            }
            _ = try await store.upsertProfiles(rows, at: Self.t1)
            let sorted = rows.map(\.id).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for size in [1, 7, 50, 1000] {
                #expect(try await store.allIDs(matching: .all, pageSize: size) == sorted)
            }
            let third = try AudienceFilter(parsing: #"tags HAS "third""#)
            let expected = rows.filter { $0.tags == ["third"] }.map(\.id).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            #expect(try await store.allIDs(matching: third, pageSize: 10) == expected)
            let first = try await store.listProfiles(matching: third, after: nil, limit: expected.count)
            #expect(first.items.count == expected.count && first.nextCursor == nil)
            let empty = try await store.listProfiles(matching: .all, after: nil, limit: 0)
            #expect(empty.items.isEmpty)
        }
    }

    @Test("delete and set subscription")
    func deleteAndSubscription() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            _ = try await store.upsertProfiles([Self.anna, Profile(id: "bo", tags: ["vip"])], at: Self.t1)
            let updated = try #require(try await store.setSubscription(id: "anna", to: .unsubscribed, at: Self.t2))
            #expect(updated.subscription == .unsubscribed && updated.updatedAt == Self.t2 && updated.createdAt == Self.t1)
            #expect(try await store.setSubscription(id: "nobody", to: .denylisted, at: Self.t2) == nil)
            #expect(try await store.countProfiles(matching: AudienceFilter(parsing: #"subscription = "UNSUBSCRIBED""#)) == 1)
            #expect(try await store.deleteProfile(id: "anna"))
            #expect(try await !store.deleteProfile(id: "anna"))
            #expect(try await store.countProfiles(matching: AudienceFilter(parsing: #"tags HAS "vip""#)) == 1)
            // A new profile with the same id starts afresh.
            _ = try await store.upsertProfiles([Profile(id: "anna")], at: Self.t2)
            #expect(try await store.profile(id: "anna")?.tags == [])
            #expect(try await store.countProfiles(matching: AudienceFilter(parsing: #"tags HAS "news""#)) == 0)
        }
    }

    @Test("the data survives closing and reopening the file; migrations run once")
    func reopen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let first = try SQLiteStore(path: directory.databasePath, logger: Logger(label: "test"))
        _ = try await first.upsertProfiles([Self.anna], at: Self.t1)
        let migrations = try await first.appliedMigrations()
        // Every migration, in order, once (later issues append more).
        #expect(migrations.prefix(3) == [
            "v1: profiles, deliveries, idempotency records",
            "v2: preparation exclusions, logs, message ledger, address quarantine",
            "v3: sending columns of the message ledger",
        ])
        #expect(migrations.enumerated().allSatisfy { index, name in name.hasPrefix("v\(index + 1):") })
        try first.close()

        for _ in 0..<2 {
            let again = try SQLiteStore(path: directory.databasePath, logger: Logger(label: "test"))
            #expect(try await again.appliedMigrations() == migrations)
            #expect(try await again.profile(id: "anna")?.attributes == Self.anna.attributes)
            #expect(try await again.countProfiles(matching: AudienceFilter(parsing: #"attributes.age >= 30"#)) == 1)
            try again.close()
        }
    }

    @Test("new attribute keys get columns; a key no profile has matches nothing")
    func attributeColumns() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            _ = try await store.upsertProfiles([Profile(id: "a", attributes: ["k1": "1"])], at: Self.t1)
            #expect(try await store.countProfiles(matching: AudienceFilter(parsing: "attributes.k2 EXISTS")) == 0)
            #expect(try await store.countProfiles(matching: AudienceFilter(parsing: "NOT attributes.k2 EXISTS")) == 1)
            _ = try await store.upsertProfiles(
                [Profile(id: "b", attributes: ["k2": "2"]), Profile(id: "c", attributes: ["k1": "3", "k3.x-y": "z"])],
                at: Self.t2
            )
            #expect(try await store.countProfiles(matching: AudienceFilter(parsing: "attributes.k1 >= 1")) == 2)
            #expect(try await store.countProfiles(matching: AudienceFilter(parsing: "attributes.k2 = 2")) == 1)
            #expect(try await store.profile(id: "c")?.attributes == ["k1": "3", "k3.x-y": "z"])
            #expect(try await store.profile(id: "a")?.attributes == ["k1": "1"])
        }
    }
}
