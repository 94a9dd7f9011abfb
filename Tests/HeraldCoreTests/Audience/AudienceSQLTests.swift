import HeraldCore
import Testing

@Suite("Audience filter compilation to SQL")
struct AudienceSQLTests {
    static func columns(_ key: String) -> AudienceSQL.AttributeColumns? {
        key == "missing" ? nil : AudienceSQL.AttributeColumns(text: "attr_1", number: "attr_1_num")
    }

    static let hostile = [
        "'; DROP TABLE profiles; --", "\"", "'", "--", "/*", "*/", "%", "_", "\\", "?", "?1", ":name", "$x", "@y",
        "); DELETE FROM profiles WHERE (1=1", "\u{1F600}", "a'b\"c",
    ]

    @Test("values never reach the SQL text", arguments: hostile)
    func valuesAreBound(value: String) throws {
        let escaped = value.replacingBackslashAndQuotes()
        let text = """
            email = "\(escaped)" OR attributes.x CONTAINS "\(escaped)" OR first_name STARTS WITH "\(escaped)" \
            OR tags HAS "\(escaped)" OR locale IN ("\(escaped)", "b") OR attributes.x ENDS WITH "\(escaped)"
            """
        let sql = try AudienceFilter(parsing: text).sql(attributeColumns: Self.columns)
        #expect(!sql.clause.contains(value) || ["?", "_", "%"].contains(value))
        #expect(sql.clause.filter { $0 == "?" }.count == sql.arguments.count)
        #expect(sql.arguments.contains(.text(value)))
    }

    @Test("the compiled form of the API example")
    func example() throws {
        let sql = try AudienceFilter(
            parsing: #"attributes.country = "SE" AND attributes.age >= 18 AND tags HAS "vip" AND NOT email ENDS WITH "@example.org""#
        ).sql(attributeColumns: Self.columns)
        #expect(
            sql.clause == """
                (((attr_1 IS NOT NULL AND attr_1 = ?) AND (attr_1_num IS NOT NULL AND attr_1_num >= ?)) AND \
                (profiles.pk IN (SELECT profile_pk FROM profile_tags WHERE tag = ?) AND \
                NOT (substr(profiles.email, -?) = ?)))
                """
        )
        #expect(sql.arguments == [.text("SE"), .real(18), .text("vip"), .integer(12), .text("@example.org")])
    }

    @Test("an attribute no profile has compiles to false")
    func missingAttribute() throws {
        let sql = try AudienceFilter(parsing: #"attributes.missing = "x" OR NOT attributes.missing EXISTS"#)
            .sql(attributeColumns: Self.columns)
        #expect(sql.clause == "(0 OR NOT (0))")
        #expect(sql.arguments.isEmpty)
    }

    @Test("long OR chains compile to a balanced tree")
    func balanced() throws {
        let text = (0..<1_024).map { "id = \"\($0)\"" }.joined(separator: " OR ")
        let sql = try AudienceFilter(parsing: text).sql(attributeColumns: Self.columns)
        var depth = 0, maxDepth = 0
        for c in sql.clause {
            if c == "(" { depth += 1; maxDepth = max(maxDepth, depth) }
            if c == ")" { depth -= 1 }
        }
        #expect(maxDepth == 10)
        #expect(sql.arguments.count == 1_024)
    }
}

extension String {
    fileprivate func replacingBackslashAndQuotes() -> String {
        var out = ""
        for c in self {
            if c == "\\" || c == "\"" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
