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

    @Test("projected profiles of target rows equal the in-memory store's, kept as bytes or made at once (tags)")
    func projectedProfiles() async throws {
        try await withTemporaryStore { store, _ in
            let profiles = (0..<40).map { i in
                Profile(
                    id: "p\(String(i + 100))", email: i % 9 == 0 ? "" : "e\(i)@example.com",
                    firstName: i % 3 == 0 ? "" : "Åsa-\(i) \u{1F600}", lastName: "L\(i)", locale: "sv-SE", timeZone: "Europe/Stockholm",
                    tags: i % 4 == 0 ? ["vip", "t\(i)"] : [],
                    // Some profiles lack some attributes (NULL columns); some values are empty.
                    attributes: (i % 5 == 0 ? [:] : ["city": i % 2 == 0 ? "" : "Lund \(i)"]).merging(["n": String(i)]) { a, _ in a },
                    subscription: i % 7 == 0 ? .unsubscribed : .subscribed
                )
            }
            _ = try await store.upsertProfiles(profiles, at: now)
            let memoryProfiles = InMemoryProfileStore()
            _ = try await memoryProfiles.upsertProfiles(profiles, at: now)
            let memory = InMemoryPreparationStore(profiles: memoryProfiles)
            let audience = try AudienceFilter(parsing: "attributes.n >= 3")
            let rules = [try AudienceFilter(parsing: #"attributes.city = "Lund 7""#)]
            let projections = [
                ProfileProjection(fields: ["first_name", "last_name"], attributeKeys: ["city"]),
                ProfileProjection(fields: ["locale", "time_zone"], allAttributes: true),
                ProfileProjection(fields: ["tags", "first_name"], attributeKeys: ["n", "missing"]),
                ProfileProjection(),
                .all,
            ]
            for projection in projections {
                var cursor: String? = nil
                var compared = 0
                while true {
                    let rows = try await store.targetBatch(
                        audience: audience, ruleFilters: rules, projection: projection, after: cursor, limit: 8
                    )
                    let expected = try await memory.targetBatch(
                        audience: audience, ruleFilters: rules, projection: projection, after: cursor, limit: 8
                    )
                    #expect(rows.map(\.id) == expected.map(\.id))
                    #expect(rows.map(\.filterMatches) == expected.map(\.filterMatches))
                    #expect(rows.map { $0.projectedProfile() } == expected.map { $0.projectedProfile() }, "\(projection)")
                    compared += rows.count
                    guard let last = rows.last, rows.count == 8 else { break }
                    cursor = last.id
                }
                #expect(compared == 37)
            }
        }
    }

    @Test("exclusions and ledger rows written in multi-row groups and one by one read back exactly")
    func groupedWrites() async throws {
        try await withTemporaryStore { store, _ in
            // 137 = 2 groups of 50 and 37 single rows; empty texts and non-ASCII ones.
            let causes: [ExclusionCause] = [.duplicate, .excludedByFilter, .controlGroup]
            let exclusions = (0..<137).map { i in
                Exclusion(
                    profileID: "p\(String(i + 1000))", address: i % 10 == 0 ? "" : "ä\(i)@example.com", cause: causes[i % 3],
                    ruleName: i % 3 == 0 ? "" : "rule-\(i % 3) é"
                )
            }
            try await store.appendExclusions(exclusions, deliveryID: "d")
            let listed = try await store.listExclusions(deliveryID: "d", causes: nil, after: nil, limit: 1_000).items
            #expect(listed == exclusions)
            let messages = (1...123).map { i in
                PreparedMessage(
                    deliveryID: "d", sequence: i, profileID: "p\(i)", address: i % 7 == 0 ? "" : "ö\(i)@example.com",
                    trackingID: "d.\(i)", status: i % 11 == 0 ? .sent : .pending, statusTime: i % 11 == 0 ? now : nil
                )
            }
            try await store.appendMessages(messages)
            let stored = try await store.listMessages(deliveryID: "d", statuses: nil, after: nil, limit: 1_000).items
            #expect(stored == messages)
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
