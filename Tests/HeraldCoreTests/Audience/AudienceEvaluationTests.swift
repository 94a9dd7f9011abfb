import HeraldCore
import Testing

@Suite("Audience filter evaluation in memory")
struct AudienceEvaluationTests {
    static let anna = Profile(
        id: "p1", email: "anna@example.se", firstName: "Anna", lastName: "Berg", locale: "sv-SE",
        timeZone: "Europe/Stockholm", tags: ["vip", "news"],
        attributes: ["country": "SE", "age": "34", "zip": "01234", "note": "50% off_now\\", "vip": "true"],
        subscription: .subscribed,
        createdAt: Timestamp(rfc3339: "2024-05-01T10:00:00Z")!, updatedAt: Timestamp(rfc3339: "2024-06-01T10:00:00Z")!
    )

    @Test(
        "filters against one profile",
        arguments: [
            (#"attributes.country = "SE" AND attributes.age >= 18 AND tags HAS "vip" AND NOT email ENDS WITH "@example.org""#, true),
            (#"attributes.age > 34"#, false),
            (#"attributes.age = 34.0"#, true),
            (#"attributes.age = "34.0""#, false),
            (#"attributes.age < "4""#, true),  // string comparison: "34" < "4"
            (#"attributes.zip = 1234"#, true),  // numeric: "01234" parses as 1234
            (#"attributes.zip = "1234""#, false),
            (#"attributes.country > 5"#, false),  // not numeric: false
            (#"attributes.country != 5"#, false),
            (#"attributes.missing != "x""#, false),
            (#"NOT attributes.missing = "x""#, true),
            (#"attributes.missing EXISTS"#, false),
            (#"attributes.vip = true"#, true),
            (#"attributes.note CONTAINS "% off_""#, true),
            (#"attributes.note ENDS WITH "\\""#, true),
            (#"attributes.note STARTS WITH "50%""#, true),
            (#"attributes.note CONTAINS "50_""#, false),
            (#"first_name CONTAINS "nn""#, true),
            (#"first_name CONTAINS "NN""#, false),
            (#"first_name STARTS WITH """#, true),
            (#"email < "b""#, true),
            (#"email IN ("x@y.z", "anna@example.se")"#, true),
            (#"email NOT IN ("x@y.z", "anna@example.se")"#, false),
            (#"subscription = "SUBSCRIBED""#, true),
            (#"subscription != "SUBSCRIBED""#, false),
            (#"created_at >= "2024-05-01" AND created_at < "2024-05-02""#, true),
            (#"updated_at > 1717236000"#, false),
            (#"updated_at >= 1717236000"#, true),
            (#"tags HAS "VIP""#, false),
            (#"tags EXISTS AND locale EXISTS"#, true),
            (#"time_zone = "Europe/Stockholm" OR id = "zz""#, true),
        ]
    )
    func evaluate(text: String, expected: Bool) throws {
        let filter = try AudienceFilter(parsing: text)
        #expect(filter.matches(Self.anna) == expected)
    }

    @Test("strings compare by Unicode scalars, not canonical equivalence")
    func noNormalization() throws {
        let composed = Profile(id: "x", firstName: "\u{E9}")
        let decomposed = Profile(id: "y", firstName: "e\u{301}")
        let filter = try AudienceFilter(parsing: "first_name = \"\u{E9}\"")
        #expect(filter.matches(composed))
        #expect(!filter.matches(decomposed))
        #expect(try AudienceFilter(parsing: "first_name STARTS WITH \"e\"").matches(decomposed))
    }

    @Test("AudienceNumber accepts only plain decimal numbers", arguments: [
        ("12", 12.0 as Double?), ("-0.5", -0.5), ("1e3", 1000), ("007", 7), ("", nil), ("+1", nil), (" 1", nil),
        ("1.", nil), (".5", nil), ("1e", nil), ("inf", nil), ("nan", nil), ("0x10", nil), ("1e999", nil), ("--1", nil),
    ])
    func numbers(text: String, value: Double?) {
        #expect(AudienceNumber.parse(text) == value)
    }
}
