import HeraldCore
import Testing

@Suite("Audience filter parser")
struct AudienceParserTests {
    static func parse(_ text: String) throws -> AudienceExpression {
        try AudienceFilter(parsing: text).expression
    }

    static func filterError(_ text: String) -> AudienceFilterError? {
        do {
            _ = try AudienceFilter(parsing: text)
            return nil
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message == (error.cause as? AudienceFilterError)?.description)
            return error.cause as? AudienceFilterError
        }
    }

    @Test("the example of API.md, with bare names qualified as attributes")
    func apiExample() throws {
        let expression = try Self.parse(
            #"attributes.country = "SE" AND attributes.age >= 18 AND tags HAS "vip" AND NOT email ENDS WITH "@example.org""#
        )
        #expect(
            expression == .and([
                .predicate(.attributeText(key: "country", .equal, "SE")),
                .predicate(.attributeNumber(key: "age", .greaterOrEqual, 18)),
                .predicate(.hasTag("vip")),
                .not(.predicate(.textMatch(.email, .endsWith, "@example.org"))),
            ])
        )
    }

    @Test("empty and blank filters match everything", arguments: ["", "   ", "\n\t"])
    func empty(text: String) throws {
        let filter = try AudienceFilter(parsing: text)
        #expect(filter.matchesAll)
        #expect(filter.expression == .all)
    }

    @Test("precedence: NOT > AND > OR")
    func precedence() throws {
        let a = AudienceExpression.predicate(.textNonEmpty(.email))
        let b = AudienceExpression.predicate(.hasAnyTag)
        let c = AudienceExpression.predicate(.attributeExists(key: "x"))
        #expect(try Self.parse("email EXISTS OR tags EXISTS AND attributes.x EXISTS") == .or([a, .and([b, c])]))
        #expect(try Self.parse("(email EXISTS OR tags EXISTS) AND attributes.x EXISTS") == .and([.or([a, b]), c]))
        #expect(try Self.parse("NOT email EXISTS AND tags EXISTS") == .and([.not(a), b]))
        #expect(try Self.parse("NOT (email EXISTS AND tags EXISTS)") == .not(.and([a, b])))
        #expect(try Self.parse("NOT NOT email EXISTS") == a)
        #expect(try Self.parse("email EXISTS or tags EXISTS Or attributes.x EXISTS") == .or([a, b, c]))
    }

    @Test("keywords are case-insensitive")
    func keywords() throws {
        #expect(
            try Self.parse(#"tags has "a" and not email starts with "b" or first_name Contains 'c'"#)
                == .or([
                    .and([.predicate(.hasTag("a")), .not(.predicate(.textMatch(.email, .startsWith, "b")))]),
                    .predicate(.textMatch(.firstName, .contains, "c")),
                ])
        )
        #expect(try Self.parse("attributes.vip = TRUE") == .predicate(.attributeText(key: "vip", .equal, "true")))
        #expect(try Self.parse("attributes.vip != false") == .predicate(.attributeText(key: "vip", .notEqual, "false")))
    }

    @Test(
        "string escapes",
        arguments: [
            (#""a\"b""#, "a\"b"), (#"'a\'b'"#, "a'b"), (#""a\\b""#, "a\\b"), (#""a\nb\tc\rd""#, "a\nb\tc\rd"),
            (#""\u00e9""#, "é"), (#""\uD83D\uDE00""#, "😀"), (#"'say "hi"'"#, "say \"hi\""), (#""it's""#, "it's"),
            (#""""#, ""), (#""a\/b""#, "a/b"), ("\"日本\"", "日本"),
        ]
    )
    func escapes(literal: String, value: String) throws {
        #expect(try Self.parse("first_name = \(literal)") == .predicate(.text(.firstName, .equal, value)))
    }

    @Test(
        "numbers",
        arguments: [("18", 18.0), ("-3", -3.0), ("2.5", 2.5), ("-0.125", -0.125), ("1e3", 1000.0), ("1.5E-2", 0.015)]
    )
    func numbers(literal: String, value: Double) throws {
        #expect(try Self.parse("attributes.n < \(literal)") == .predicate(.attributeNumber(key: "n", .less, value)))
    }

    @Test("IN lists, NOT IN, subscription and time fields")
    func typedFields() throws {
        #expect(try Self.parse(#"locale IN ("sv-SE", 'nb-NO')"#) == .predicate(.textIn(.locale, ["sv-SE", "nb-NO"])))
        #expect(
            try Self.parse(#"attributes.plan IN ("pro", 2)"#)
                == .or([.predicate(.attributeText(key: "plan", .equal, "pro")), .predicate(.attributeNumber(key: "plan", .equal, 2))])
        )
        #expect(try Self.parse(#"id NOT IN ("a")"#) == .not(.predicate(.textIn(.id, ["a"]))))
        #expect(try Self.parse(#"subscription = "subscribed""#) == .predicate(.subscription([.subscribed])))
        #expect(try Self.parse(#"subscription != "DENYLISTED""#) == .predicate(.subscription([.subscribed, .unsubscribed])))
        #expect(
            try Self.parse(#"subscription IN ("DENYLISTED", "UNSUBSCRIBED")"#) == .predicate(.subscription([.unsubscribed, .denylisted]))
        )
        #expect(
            try Self.parse(#"created_at >= "2024-05-01""#)
                == .predicate(.time(.createdAt, .greaterOrEqual, Timestamp(rfc3339: "2024-05-01")!))
        )
        #expect(try Self.parse("updated_at < 1.5") == .predicate(.time(.updatedAt, .less, Timestamp(microsecondsSinceEpoch: 1_500_000))))
        #expect(try Self.parse("attributes.a.b_c-d EXISTS") == .predicate(.attributeExists(key: "a.b_c-d")))
    }

    @Test(
        "errors name the position and what was expected",
        arguments: [
            ("country = \"SE\"", "unknown field 'country' at 1:1; did you mean attributes.country?"),
            ("Email = \"x\"", "unknown field 'Email' at 1:1; did you mean email?"),
            ("email = ", "expected a value after '=' but found the end of the filter at 1:9"),
            ("email = AND", "expected a value after '=' but found 'AND' at 1:9"),
            ("email \"x\"", "expected an operator after 'email' (=, !=, <, <=, >, >=, IN, NOT IN, HAS, CONTAINS, STARTS WITH, ENDS WITH, EXISTS) but found \"x\" at 1:7"),
            ("(email EXISTS", "expected ')' to close the '(' at 1:1 but found the end of the filter at 1:14"),
            ("email EXISTS)", "expected AND, OR or the end of the filter but found ')' at 1:13"),
            ("email EXISTS AND", "expected a field name, NOT or '(' but found the end of the filter at 1:17"),
            ("email = \"abc", "unterminated string at 1:9"),
            ("email = \"a\\qb\"", "unknown escape '\\q' at 1:11"),
            ("email = \"\\u12\"", "expected 4 hex digits after \\u at 1:10"),
            ("email = \"\\uD800\"", "unpaired surrogate in \\u escape at 1:10"),
            ("email = \"a\\u0000\"", "NUL character is not allowed at 1:11"),
            ("email = \"a\u{0}\"", "NUL character is not allowed at 1:11"),
            ("email = 12", "email is a string field; expected a string but found '12' at 1:9"),
            ("tags = \"x\"", "tags is a set; use tags HAS \"x\" or tags EXISTS at 1:8"),
            ("email HAS \"x\"", "HAS applies only to tags; use = or CONTAINS with email at 1:7"),
            ("subscription = \"GONE\"", "unknown subscription \"GONE\"; expected one of SUBSCRIBED, UNSUBSCRIBED, DENYLISTED at 1:16"),
            ("subscription < \"SUBSCRIBED\"", "subscription can only be compared with = or != at 1:16"),
            ("created_at > \"soon\"", "expected an RFC 3339 time such as \"2024-05-01T12:00:00Z\" or a date such as \"2024-05-01\" but found \"soon\" at 1:14"),
            ("attributes. EXISTS", "expected an attribute name after 'attributes.' at 1:1"),
            ("attributes EXISTS", "expected '.' and an attribute name after 'attributes' at 1:1"),
            ("attributes.x STARTS \"a\"", "expected WITH after STARTS at 1:21"),
            ("attributes.x < true", "true and false can only be compared with = or != at 1:16"),
            ("email = \"a\" AND\n  first_name == \"b\"", "expected a value after '=' but found '=' at 2:15"),
            ("email ! \"a\"", "unexpected '!' (did you mean '!=' or NOT?) at 1:7"),
            ("email = \"é\" AND § = 1", "unexpected character '§' at 1:17"),
            ("attributes.n > 1x", "malformed number at 1:16"),
            ("attributes.n > 1e999", "number '1e999' is out of range at 1:16"),
            ("email IN ()", "expected a value after '(' but found ')' at 1:11"),
            ("email IN (\"a\" \"b\")", "expected ',' or ')' in the IN list but found \"b\" at 1:15"),
            ("tags IN (\"a\")", "IN does not apply to tags; use tags HAS \"x\" OR tags HAS \"y\" at 1:6"),
            ("created_at EXISTS", "EXISTS does not apply to created_at: it always has a value at 1:12"),
            ("email NOT EXISTS", "expected IN after NOT (write NOT before the field to negate a condition) at 1:11"),
        ]
    )
    func errors(text: String, message: String) throws {
        let error = try #require(Self.filterError(text))
        #expect(error.description == "invalid audience filter: \(message)")
    }

    @Test("the error carries line, column and byte offset")
    func position() throws {
        let error = try #require(Self.filterError("email = \"é\"\n AND ? = 1"))
        #expect(error.line == 2)
        #expect(error.column == 6)
        #expect(error.offset == 18)
    }

    @Test("10,000 nested parentheses are a clean error, not a stack overflow")
    func deepParentheses() throws {
        let text = String(repeating: "(", count: 10_000) + "email EXISTS" + String(repeating: ")", count: 10_000)
        let error = try #require(Self.filterError(text))
        #expect(error.reason == "the filter is nested too deeply (more than 256 levels)")
        #expect(error.column == 257)
    }

    @Test("10,000 NOTs are a clean error")
    func deepNot() throws {
        let error = try #require(Self.filterError(String(repeating: "NOT ", count: 10_000) + "email EXISTS"))
        #expect(error.reason.hasPrefix("the filter is nested too deeply"))
    }

    @Test("256 levels of nesting are accepted")
    func maximumDepth() throws {
        let text = String(repeating: "(", count: 256) + "email EXISTS" + String(repeating: ")", count: 256)
        #expect(try Self.parse(text) == .predicate(.textNonEmpty(.email)))
    }

    @Test("input longer than 64 KiB is refused before parsing")
    func tooLong() throws {
        let text = "email = \"" + String(repeating: "a", count: 70_000) + "\""
        let error = try #require(Self.filterError(text))
        #expect(error.reason == "the filter is longer than 65536 bytes (70010)")
    }

    @Test("too many conditions are refused")
    func tooManyTerms() throws {
        let text = Array(repeating: "id EXISTS", count: 5_000).joined(separator: " OR ")
        let error = try #require(Self.filterError(text))
        #expect(error.reason.hasPrefix("the filter has too many conditions"))
    }

    @Test("long AND chains stay flat")
    func flatChains() throws {
        let text = Array(repeating: "tags EXISTS", count: 3_000).joined(separator: " AND ")
        guard case .and(let operands) = try Self.parse(text) else {
            Issue.record("expected an AND node")
            return
        }
        #expect(operands.count == 3_000)
    }
}
