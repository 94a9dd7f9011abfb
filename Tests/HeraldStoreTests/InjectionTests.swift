import HeraldCore
@testable import HeraldStore
import Testing

/// Hostile filters are either a clean INVALID_ARGUMENT or a correctly quoted literal, and
/// the data is intact afterwards.
@Suite("Filter injection")
struct InjectionTests {
    static let hostile: [String] = [
        #"first_name = "'; DROP TABLE profiles; --""#,
        #"first_name = ''; DROP TABLE profiles; --'"#,
        "'; DROP TABLE profiles; --",
        #"email = "x"; DELETE FROM profiles"#,
        #"email = "x" -- comment"#,
        #"email = "x" /* comment */"#,
        #"email = "/* not a comment */""#,
        #"email = "-- not a comment""#,
        #"email = "" OR 1=1"#,
        #"email = "" OR "1"="1""#,
        #"tags HAS "vip\") OR (\"1\"=\"1""#,
        #"attributes.x = "1) OR 1=1 --""#,
        "attributes.x; DROP TABLE profiles = \"1\"",
        "attributes.x\"; DROP TABLE profiles; -- = \"1\"",
        #"first_name CONTAINS "%""#,
        #"first_name CONTAINS "_""#,
        #"first_name CONTAINS "\\""#,
        #"first_name STARTS WITH "%_""#,
        #"last_name = 'O\'Brien'"#,
        #"last_name = "O''Brien""#,
        "email = \"a\u{0}b\"",
        "email = \"a\\u0000b\"",
        "\u{0}",
        "email = \"x\" \u{0} OR 1",
        #"email = "x" ; SELECT * FROM sqlite_master"#,
        "email = ?",
        "email = :name",
        "id IN (" + Array(repeating: "\"x\"", count: 2_000).joined(separator: ",") + ")",
        "email = \"" + String(repeating: "'", count: 60_000) + "\"",
        "email = \"" + String(repeating: "a", count: 70_000) + "\"",
        String(repeating: "(", count: 10_000) + "email EXISTS" + String(repeating: ")", count: 10_000),
        String(repeating: "NOT ", count: 10_000) + "email EXISTS",
    ]

    @Test("hostile filters against a real file")
    func hostileFilters() async throws {
        try await withTemporaryStore { (store, _) async throws -> Void in
            var rows = (0..<50).map { Profile(id: "p\($0)", email: "u\($0)@example.org", firstName: "n\($0)", tags: ["t"]) }
            rows[1].firstName = "'; DROP TABLE profiles; --"
            rows[2].firstName = "100%"
            rows[3].firstName = "a_b"
            rows[4].firstName = "back\\slash"
            rows[5].lastName = "O'Brien"
            rows[6].email = "/* not a comment */"
            rows[7].attributes = ["x": "1) OR 1=1 --"]
            rows[8].tags = ["vip\") OR (\"1\"=\"1"]
            _ = try await store.upsertProfiles(rows, at: Timestamp(seconds: 1))
            let stored = try await store.allProfiles()
            let tablesBefore = try await store.tableNames()

            var literals = 0, refused = 0
            for text in Self.hostile {
                do {
                    let filter = try AudienceFilter(parsing: text)
                    literals += 1
                    let expected = stored.filter(filter.matches).map(\.id)
                    #expect(try await store.allIDs(matching: filter) == expected, "\(text.prefix(80))")
                    #expect(try await store.countProfiles(matching: filter) == expected.count)
                } catch let error as HeraldError {
                    refused += 1
                    #expect(error.code == .invalidArgument, "\(text.prefix(80))")
                    #expect(error.cause is AudienceFilterError)
                }
            }
            #expect(literals == 13)
            #expect(refused == Self.hostile.count - 13)

            // The literal filters found exactly the hostile values.
            for (text, ids) in [
                (#"first_name = "'; DROP TABLE profiles; --""#, ["p1"]),
                (#"first_name CONTAINS "%""#, ["p2"]),
                (#"first_name CONTAINS "_""#, ["p3"]),
                (#"first_name CONTAINS "\\""#, ["p4"]),
                (#"last_name = 'O\'Brien'"#, ["p5"]),
                (#"email = "/* not a comment */""#, ["p6"]),
                (#"attributes.x = "1) OR 1=1 --""#, ["p7"]),
                (#"tags HAS "vip\") OR (\"1\"=\"1""#, ["p8"]),
            ] {
                #expect(try await store.allIDs(matching: AudienceFilter(parsing: text)) == ids, "\(text)")
            }

            // The data and the schema are intact.
            #expect(try await store.tableNames() == tablesBefore)
            #expect(tablesBefore.contains("profiles") && tablesBefore.contains("profile_tags") && tablesBefore.contains("deliveries"))
            #expect(try await store.countProfiles(matching: .all) == 50)
            #expect(try await store.allProfiles() == stored)
        }
    }
}
