import HeraldProtos
import Testing

@testable import herald

@Suite("YAMLConversion: YAML to the proto3 JSON value")
struct YAMLConversionTests {
    @Test func scalarsKeepTheirCoreSchemaTypes() throws {
        let json = try YAMLConversion.json(fromYAML: """
            text: hello
            quoted: "42"
            integer: 0x1F
            float: 5.5
            infinite: .inf
            yes: true
            nothing: ~
            when: 2030-01-01T00:00:00Z
            list: [a, 1]
            """)
        #expect(json == .object([
            .init("text", .string("hello")), .init("quoted", .string("42")), .init("integer", .number("31")),
            .init("float", .number("5.5")), .init("infinite", .string("Infinity")), .init("yes", .bool(true)),
            .init("nothing", .null), .init("when", .string("2030-01-01T00:00:00Z")),
            .init("list", .array([.string("a"), .number("1")])),
        ]))
    }

    @Test func aDeliveryDecodesLikeItsJSONTwin() throws {
        let yaml = try YAMLConversion.json(fromYAML: """
            name: Spring
            content: {subject: "Hi {{first_name}}", sender: {address: news@example.com}}
            typology:
              rules:
                - capacity: {name: Cap, maxMessages: 15000}
            """)
        let json = try ProtoJSON(parsing: #"{"name":"Spring","content":{"subject":"Hi {{first_name}}","sender":{"address":"news@example.com"}},"typology":{"rules":[{"capacity":{"name":"Cap","maxMessages":"15000"}}]}}"#)
        #expect(try Herald_V1_Delivery(json: yaml) == Herald_V1_Delivery(json: json))
    }

    @Test(arguments: [
        ("a: [1\n  b: c\n", "YAML 2:4: did not find expected ',' or ']'"),
        ("? [a]\n: y\n", "YAML 1:3: a mapping key must be a plain value, not a sequence"),
        ("", "YAML: the document is empty"),
    ])
    func errorsSayWhere(text: String, expected: String) {
        #expect {
            try YAMLConversion.json(fromYAML: text)
        } throws: { error in
            (error as? Failure)?.message.contains(expected) == true
        }
    }

    @Test func keysAreLocated() throws {
        let (_, keys) = try YAMLConversion.jsonAndKeys(fromYAML: "name: x\ncontent:\n  subject: y\n  name: z\n")
        #expect(keys["subject"] == ["3:3"])
        #expect(keys["name"] == ["1:1", "4:3"])
    }
}
