import HeraldCore
import HeraldStore
import Testing

/// The SQL compiled from a filter and the in-memory evaluation must select exactly the
/// same profiles, on generated profiles and generated filters full of tricky strings.
@Suite("Filter property: SQL agrees with in-memory evaluation")
struct FilterPropertyTests {
    static let strings: [String] = [
        "", "a", "A", "ab", "abc", "b", "SE", "se", "%", "_", "\\", "'", "\"", "a%b", "a_b", "%_\\", "50% off_",
        "\u{E9}", "e\u{301}", "e", "日本", "😀", "-1", "0", "1", "01", "1.5", "1e3", "-0", " 2", "10", "9", "true",
        "false", "x'; DROP TABLE profiles; --", "/*", "--", "\t", "a\nb", "?", "Ω", "\u{10FFFF}", "zz", "@example.org",
    ]
    static let numbers: [String] = ["-1", "0", "1", "1.5", "9", "10", "1e3", "-0.5", "01", "2"]
    static let tags = ["vip", "news", "VIP", "a b", "%", "_", "\\", "é", "e\u{301}"]
    static let keys = ["a", "b", "c.d", "n", "e-f"]
    static let textFields = ["id", "email", "first_name", "last_name", "locale", "time_zone"]
    static let times: [Timestamp] = [Timestamp(seconds: 1_000), Timestamp(seconds: 2_000), Timestamp(seconds: 3_000)]

    static func profiles(_ rng: inout SeededGenerator, count: Int) -> [Profile] {
        (0..<count).map { i in
            func pick(_ pool: [String]) -> String { pool.randomElement(using: &rng)! }
            var attributes: [String: String] = [:]
            for key in keys where Bool.random(using: &rng) {
                attributes[key] = Bool.random(using: &rng) ? pick(numbers) : pick(strings)
            }
            return Profile(
                id: pick(strings) + String(i), email: pick(strings) + pick(["@example.org", "@x.se", ""]),
                firstName: pick(strings), lastName: pick(strings), locale: pick(["sv-SE", "en", "", "%"]),
                timeZone: pick(strings), tags: (0..<Int.random(in: 0...3, using: &rng)).map { _ in pick(tags) },
                attributes: attributes, subscription: Profile.Subscription.allCases.randomElement(using: &rng)!
            )
        }
    }

    static func predicate(_ rng: inout SeededGenerator) -> String {
        func pick(_ pool: [String]) -> String { pool.randomElement(using: &rng)! }
        let comparison = pick(["=", "!=", "<", "<=", ">", ">="])
        let match = pick(["CONTAINS", "STARTS WITH", "ENDS WITH"])
        switch Int.random(in: 0..<12, using: &rng) {
        case 0: return "\(pick(textFields)) \(comparison) \(quoted(pick(strings)))"
        case 1: return "\(pick(textFields)) \(match) \(quoted(pick(strings)))"
        case 2: return "\(pick(textFields)) \(pick(["IN", "NOT IN"])) (\(quoted(pick(strings))), \(quoted(pick(strings))))"
        case 3: return "\(pick(textFields)) EXISTS"
        case 4: return "subscription \(pick(["=", "!="])) \(quoted(pick(["SUBSCRIBED", "unsubscribed", "DENYLISTED"])))"
        case 5: return "\(pick(["created_at", "updated_at"])) \(comparison) \(pick(["1000", "2000", "2999.5", "\"1970-01-01T00:33:20Z\"", "\"1970-01-01\""]))"
        case 6: return "tags \(Bool.random(using: &rng) ? "HAS \(quoted(pick(tags + strings)))" : "EXISTS")"
        case 7: return "attributes.\(pick(keys + ["missing"])) \(comparison) \(pick(numbers))"
        case 8: return "attributes.\(pick(keys)) \(comparison) \(quoted(pick(strings + numbers)))"
        case 9: return "attributes.\(pick(keys)) \(match) \(quoted(pick(strings)))"
        case 10: return "attributes.\(pick(keys + ["missing"])) \(pick(["EXISTS", "= true", "!= false"]))"
        default: return "attributes.\(pick(keys)) IN (\(pick(numbers)), \(quoted(pick(strings))))"
        }
    }

    static func filter(_ rng: inout SeededGenerator, depth: Int) -> String {
        if depth == 0 || Int.random(in: 0..<3, using: &rng) == 0 { return predicate(&rng) }
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return "NOT \(filter(&rng, depth: depth - 1))"
        case 1: return "(\(filter(&rng, depth: depth - 1)))"
        default:
            let op = Bool.random(using: &rng) ? " AND " : " or "
            return (0..<Int.random(in: 2...3, using: &rng)).map { _ in filter(&rng, depth: depth - 1) }.joined(separator: op)
        }
    }

    @Test("400 random filters over 300 random profiles select the same ids", arguments: [UInt64(1), 2024])
    func sqlAgreesWithMemory(seed: UInt64) async throws {
        var rng = SeededGenerator(seed: seed)
        try await withTemporaryStore { (store, _) async throws -> Void in
            let generated = Self.profiles(&rng, count: 300)
            for (i, chunk) in stride(from: 0, to: generated.count, by: 100).enumerated() {
                let result = try await store.upsertProfiles(Array(generated[chunk..<(chunk + 100)]), at: Self.times[i])
                #expect(result.errors.isEmpty)
            }
            // Touch a few again so that created_at and updated_at differ.
            _ = try await store.upsertProfiles(Array(generated.prefix(20)), at: Timestamp(seconds: 4_000))
            let stored = try await store.allProfiles()
            #expect(stored.count == 300)
            let memory = InMemoryProfileStore()
            for chunk in stride(from: 0, to: stored.count, by: 100) {
                _ = try await memory.upsertProfiles(Array(stored[chunk..<(chunk + 100)]), at: .epoch)
            }

            var checked = 0, nonTrivial = 0
            while checked < 400 {
                let text = Self.filter(&rng, depth: 3)
                guard let filter = try? AudienceFilter(parsing: text) else { continue }
                checked += 1
                let expected = stored.filter(filter.matches).map(\.id)
                let viaSQL = try await store.allIDs(matching: filter, pageSize: 61)
                #expect(viaSQL == expected, "filter: \(text)")
                #expect(try await store.countProfiles(matching: filter) == expected.count, "filter: \(text)")
                if !expected.isEmpty && expected.count < stored.count { nonTrivial += 1 }
            }
            // The generator must exercise real selections, not only all-or-nothing ones.
            #expect(nonTrivial > 150)
            _ = memory
        }
    }

    @Test("profiles with NUL are refused, so no NUL ever needs comparing")
    func nulRefused() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            let result = try await store.upsertProfiles(
                [Profile(id: "a\u{0}"), Profile(id: "b", tags: ["x\u{0}"]), Profile(id: "c", attributes: ["k": "\u{0}"]), Profile(id: "d")],
                at: .epoch
            )
            #expect(result.errors.map(\.index) == [0, 1, 2])
            #expect(try await store.allIDs(matching: .all) == ["d"])
        }
    }
}
