import HeraldCore
@testable import HeraldStore
import Testing

@Suite("SQLiteStore as a PreparationStore")
struct SQLiteStorePreparationTests {
    private let now = Timestamp(seconds: 1_735_689_600)

    @Test("migration v2 is applied on top of v1")
    func migration() async throws {
        try await withTemporaryStore { store, _ in
            // v2 on top of v1 (later migrations, e.g. v3 for sending, may follow).
            let applied = try await store.appliedMigrations()
            #expect(applied.count >= 2 && applied[1].hasPrefix("v2: "))
            let tables = try await store.tableNames()
            for table in ["preparation_exclusions", "preparation_logs", "messages", "address_quarantine"] {
                #expect(tables.contains(table))
            }
        }
    }

    @Test("target batches: order, cursor, rule filter bits; profiles by key")
    func targets() async throws {
        try await withTemporaryStore { store, _ in
            _ = try await store.upsertProfiles(
                (0..<30).map { Profile(id: "p\(String($0 + 100))", email: "e\($0)@example.com", attributes: ["n": String($0)]) },
                at: now
            )
            let audience = try AudienceFilter(parsing: "attributes.n >= 10")
            let rules = [try AudienceFilter(parsing: "attributes.n < 15"), try AudienceFilter(parsing: #"id ENDS WITH "0""#)]
            #expect(try await store.countTargets(audience: audience) == 20)
            let first = try await store.targetBatch(audience: audience, ruleFilters: rules, after: nil, limit: 12)
            let second = try await store.targetBatch(audience: audience, ruleFilters: rules, after: first.last!.id, limit: 12)
            let rows = first + second
            #expect(rows.map(\.id) == (10..<30).map { "p\($0 + 100)" })
            #expect(rows.filter { $0.filterMatches & 1 != 0 }.count == 5)
            #expect(rows.filter { $0.filterMatches & 2 != 0 }.map(\.id) == ["p110", "p120"])
            let profiles = try await store.targetProfiles(keys: [rows[3].key, -1, rows[0].key])
            #expect(profiles.map { $0?.id } == ["p113", nil, "p110"])
            #expect(profiles[0]?.attributes == ["n": "13"])
        }
    }

    @Test("quarantine is case-insensitive; sent counts honour status and period")
    func quarantineAndSent() async throws {
        try await withTemporaryStore { store, _ in
            try await store.quarantine(address: "Bob@Example.com", reason: "hard bounce", at: now)
            #expect(try await store.quarantinedAddresses(among: ["bob@example.COM", "ann@example.com"]) == ["bob@example.COM"])
            #expect(try await store.releaseQuarantine(address: "BOB@example.com"))
            #expect(try await store.quarantinedAddresses(among: ["bob@example.com"]).isEmpty)
            try await store.appendMessages([
                PreparedMessage(deliveryID: "a", sequence: 1, profileID: "p1", address: "", trackingID: "a.1", status: .sent, statusTime: now),
                PreparedMessage(deliveryID: "a", sequence: 2, profileID: "p1", address: "", trackingID: "a.2", status: .sent, statusTime: now.adding(seconds: -86_400 * 30)),
                PreparedMessage(deliveryID: "b", sequence: 1, profileID: "p1", address: "", trackingID: "b.1", status: .sent, statusTime: now),
                PreparedMessage(deliveryID: "b", sequence: 2, profileID: "p2", address: "", trackingID: "b.2", status: .failed, statusTime: now),
                PreparedMessage(deliveryID: "b", sequence: 3, profileID: "p3", address: "", trackingID: "b.3"),
            ])
            #expect(try await store.sentMessageCounts(profileIDs: ["p1", "p2", "p3"], since: now.adding(seconds: -86_400)) == ["p1": 2])
            #expect(try await store.updateMessageStatus(deliveryID: "b", sequences: [3], to: .sent, at: now) == 1)
            #expect(try await store.sentMessageCounts(profileIDs: ["p3"], since: now) == ["p3": 1])
            // Discarding a preparation keeps the messages already sent.
            try await store.appendMessages([PreparedMessage(deliveryID: "b", sequence: 4, profileID: "p4", address: "", trackingID: "b.4")])
            try await store.discardPreparation(deliveryID: "b")
            let left = try await store.listMessages(deliveryID: "b", statuses: nil, after: nil, limit: 10).items
            #expect(left.map(\.sequence) == [1, 2, 3])
        }
    }

    @Test("exclusions paged by profile id with a cause filter; logs paged with a severity filter")
    func listings() async throws {
        try await withTemporaryStore { store, _ in
            let causes: [ExclusionCause] = [.duplicate, .denylisted, .controlGroup]
            try await store.appendExclusions(
                (0..<30).map { Exclusion(profileID: "p\(String($0 + 100))", address: "a\($0)@example.com", cause: causes[$0 % 3], ruleName: $0 % 3 == 2 ? "cg" : "") },
                deliveryID: "d"
            )
            try await store.appendExclusions([Exclusion(profileID: "x", address: "", cause: .duplicate)], deliveryID: "other")
            var ids: [String] = []
            var cursor: String?
            repeat {
                let page = try await store.listExclusions(deliveryID: "d", causes: [.duplicate, .controlGroup], after: cursor, limit: 4)
                ids += page.items.map(\.profileID)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(ids == (0..<30).filter { $0 % 3 != 1 }.map { "p\($0 + 100)" })
            #expect(try await store.listExclusions(deliveryID: "d", causes: nil, after: nil, limit: 100).items.count == 30)
            #expect(try await store.listExclusions(deliveryID: "d", causes: [.controlGroup], after: nil, limit: 1).items.first?.ruleName == "cg")

            let severities: [LogSeverity] = [.info, .warning, .error, .info]
            try await store.appendLogEntries(
                severities.enumerated().map { PreparationLogEntry(sequence: $0 + 1, time: now, severity: $1, code: "C\($0)", message: "m", phase: .rules, profileID: "") },
                deliveryID: "d"
            )
            let page1 = try await store.listLogEntries(deliveryID: "d", minimumSeverity: .warning, after: nil, limit: 1)
            #expect(page1.items.map(\.code) == ["C1"])
            let page2 = try await store.listLogEntries(deliveryID: "d", minimumSeverity: .warning, after: page1.nextCursor, limit: 1)
            #expect(page2.items.map(\.code) == ["C2"] && page2.nextCursor == nil)
            #expect(page2.items[0].phase == .rules)
            await #expect(throws: HeraldError.self) {
                try await store.listLogEntries(deliveryID: "d", minimumSeverity: nil, after: "bogus", limit: 1)
            }
            try await store.discardPreparation(deliveryID: "d")
            #expect(try await store.listExclusions(deliveryID: "d", causes: nil, after: nil, limit: 100).items.isEmpty)
            #expect(try await store.listExclusions(deliveryID: "other", causes: nil, after: nil, limit: 100).items.count == 1)
            #expect(try await store.listLogEntries(deliveryID: "d", minimumSeverity: nil, after: nil, limit: 100).items.isEmpty)
        }
    }
}
