import HeraldProtos
import HeraldTestProtos
import Testing

@Suite("Proto3 JSON of every message type")
struct JSONRoundTripTests {
    @Test("random values survive JSON text and back, and the text is stable", arguments: MessageType.all)
    func randomValues(_ messageType: MessageType) throws {
        try Self.roundTrip(messageType.type)
    }

    @Test("the default value is {} and {} reads as the default", arguments: MessageType.all)
    func defaultValue(_ messageType: MessageType) throws {
        try Self.checkDefault(messageType.type)
    }

    private static func roundTrip<T: ArbitraryMessage>(_ type: T.Type) throws {
        var rng = SeededGenerator(name: T.protoMessageName, salt: 77)
        for iteration in 0..<60 {
            let value = T.arbitrary(using: &rng, depth: iteration % 4)
            let text = value.jsonText()
            let parsed = try ProtoJSON(parsing: text)
            #expect(parsed == value.jsonValue(), "iteration \(iteration): \(text)")
            let decoded = try T(json: parsed)
            #expect(decoded == value, "iteration \(iteration): \(text)")
            #expect(decoded.jsonText(sortedKeys: true) == value.jsonText(sortedKeys: true), "iteration \(iteration)")
        }
    }

    private static func checkDefault<T: ArbitraryMessage>(_ type: T.Type) throws {
        if T.protoMessageName == "google.protobuf.Timestamp" {
            #expect(T().jsonText() == "\"1970-01-01T00:00:00Z\"")
        } else if T.protoMessageName == "google.protobuf.FieldMask" {
            #expect(T().jsonText() == "\"\"")
        } else {
            #expect(T().jsonText() == "{}")
            #expect(try T(jsonText: "{}") == T())
        }
    }
}

@Suite("Proto3 JSON mapping details")
struct JSONMappingTests {
    @Test("names, enums, 64-bit integers, timestamps, maps and defaults")
    func profile() throws {
        var profile = Herald_V1_Profile()
        profile.id = "p-1"
        profile.firstName = "Åsa"
        profile.tags = ["vip", "a\"b"]
        profile.attributes = ["city": "Malmö", "age": "42"]
        profile.subscription = .unsubscribed
        var created = Google_Protobuf_Timestamp()
        created.seconds = 1_714_564_800
        created.nanos = 250_000_000
        profile.createdAt = created
        #expect(profile.jsonText() == #"{"id":"p-1","firstName":"Åsa","tags":["vip","a\"b"],"attributes":{"age":"42","city":"Malmö"},"subscription":"SUBSCRIPTION_UNSUBSCRIBED","createdAt":"2024-05-01T12:00:00.250Z"}"#)
        #expect(try Herald_V1_Profile(jsonText: profile.jsonText()) == profile)
    }

    @Test("proto names are accepted, numbers for int64, numbers for enums, null is the default")
    func lenientInput() throws {
        let profile = try Herald_V1_Profile(jsonText: #"{"first_name":"A","subscription":2,"created_at":"2024-05-01T14:00:00+02:00","email":null}"#)
        #expect(profile.firstName == "A")
        #expect(profile.subscription == .unsubscribed)
        #expect(profile.createdAt?.seconds == 1_714_564_800)
        let count = try Herald_V1_CountAudienceResponse(jsonText: #"{"count":9007199254740993}"#)
        #expect(count.count == 9_007_199_254_740_993)
        #expect(try Herald_V1_CountAudienceResponse(jsonText: #"{"count":"12"}"#).count == 12)
        #expect(try Herald_V1_CountAudienceResponse(jsonText: #"{"count":1e3}"#).count == 1000)
        #expect(count.jsonText() == #"{"count":"9007199254740993"}"#)
    }

    @Test("unknown enum numbers are written as numbers")
    func unknownEnum() throws {
        var profile = Herald_V1_Profile()
        profile.subscription = .unrecognized(42)
        #expect(profile.jsonText() == #"{"subscription":42}"#)
        #expect(try Herald_V1_Profile(jsonText: profile.jsonText()) == profile)
    }

    @Test("field masks are comma-separated lowerCamelCase paths")
    func fieldMask() throws {
        var request = Herald_V1_UpdateDeliveryRequest()
        var mask = Google_Protobuf_FieldMask()
        mask.paths = ["content.html_body", "name"]
        request.updateMask = mask
        #expect(request.jsonText() == #"{"updateMask":"content.htmlBody,name"}"#)
        #expect(try Herald_V1_UpdateDeliveryRequest(jsonText: request.jsonText()) == request)
    }

    @Test("bytes are base64; URL-safe and unpadded base64 are accepted")
    func bytes() throws {
        var scalars = Heraldtest_V1_Scalars()
        scalars.fBytes = [0xFB, 0xFF, 0x01]
        #expect(scalars.jsonText() == #"{"fBytes":"+/8B"}"#)
        #expect(try Heraldtest_V1_Scalars(jsonText: #"{"fBytes":"-_8B"}"#) == scalars)
        scalars.fBytes = [0xFB]
        #expect(try Heraldtest_V1_Scalars(jsonText: #"{"fBytes":"+w"}"#) == scalars)
        #expect(try Heraldtest_V1_Scalars(jsonText: #"{"fBytes":"+w=="}"#) == scalars)
    }

    @Test("floating point: special values as strings, shortest round-trip text")
    func floatingPoint() throws {
        var scalars = Heraldtest_V1_Scalars()
        scalars.fDouble = .infinity
        scalars.fFloat = 0.1
        #expect(scalars.jsonText() == #"{"fDouble":"Infinity","fFloat":0.1}"#)
        #expect(try Heraldtest_V1_Scalars(jsonText: scalars.jsonText()) == scalars)
        #expect(try Heraldtest_V1_Scalars(jsonText: #"{"fDouble":"NaN"}"#).fDouble.isNaN)
    }

    @Test("values of the wrong shape are errors that name the field", arguments: [
        #"{"nope":1}"#, #"{"id":5}"#, #"{"tags":"x"}"#, #"{"subscription":"SUBSCRIBED"}"#,
        #"{"createdAt":"2024-13-01T00:00:00Z"}"#, #"{"createdAt":"2024-02-30T00:00:00Z"}"#,
        #"{"createdAt":"10000-01-01T00:00:00Z"}"#, #"{"attributes":[]}"#, "[]",
    ])
    func wrongShapes(_ text: String) throws {
        #expect(throws: ProtoJSONError.self) { try Herald_V1_Profile(jsonText: text) }
    }

    @Test("integers out of range or not integral are rejected", arguments: [
        #"{"fInt32":2147483648}"#, #"{"fUint32":-1}"#, #"{"fInt32":1.5}"#, #"{"fInt64":"9223372036854775808"}"#,
        #"{"fUint64":"-1"}"#, #"{"fInt32":"0x10"}"#, #"{"fDouble":"1e"}"#, #"{"fBool":"true"}"#,
    ])
    func badNumbers(_ text: String) throws {
        #expect(throws: ProtoJSONError.self) { try Heraldtest_V1_Scalars(jsonText: text) }
    }
}

@Suite("ProtoJSON parser and serializer")
struct ProtoJSONTextTests {
    @Test("valid documents parse and serialize back compactly", arguments: [
        ("  {\"a\" : [1, -0.5e+3, true, false, null, \"x\"] }\n", #"{"a":[1,-0.5e+3,true,false,null,"x"]}"#),
        (#""\u00e9\ud83d\ude00\n\/""#, "\"é😀\\n/\""),
        (#"{"b":1,"a":{"d":2,"c":3}}"#, #"{"b":1,"a":{"d":2,"c":3}}"#),
        ("12345678901234567890123", "12345678901234567890123"),
        (#""\u0001\u007f""#, #""\u0001\u007f""#),
    ])
    func valid(_ input: String, _ expected: String) throws {
        #expect(try ProtoJSON(parsing: input).serialized() == expected)
    }

    @Test("sorted keys sort every object")
    func sortedKeys() throws {
        let json = try ProtoJSON(parsing: #"{"b":1,"a":{"d":2,"c":3}}"#)
        #expect(json.serialized(sortedKeys: true) == #"{"a":{"c":3,"d":2},"b":1}"#)
    }

    @Test("invalid documents are rejected", arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "01", "-", "1.", ".5", "1e", "+1", "NaN", "Infinity",
        "'a'", "\"a", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"a\u{1}\"", "{\"a\":1,\"a\":2}", "{a:1}",
        "[1] [2]", "tru", "nul", "// c\n1", String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
    ])
    func invalid(_ input: String) throws {
        #expect(throws: ProtoJSONError.self) { try ProtoJSON(parsing: input) }
    }

    @Test("invalid UTF-8 is rejected")
    func invalidUTF8() throws {
        #expect(throws: ProtoJSONError.self) { try ProtoJSON(parsing: [0x22, 0xC3, 0x28, 0x22]) }
    }
}
