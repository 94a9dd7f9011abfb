import GRPCInterop
import HeraldCore
import HeraldProtos
@testable import HeraldServer
import Testing

@Suite("Proto mapping, masks, page tokens and the error edge")
struct MappingTests {
    @Test("every HeraldError code maps to its gRPC code")
    func errorCodes() {
        let cases: [(HeraldError.Code, RPCError.Code)] = [
            (.invalidArgument, .invalidArgument), (.notFound, .notFound), (.alreadyExists, .alreadyExists),
            (.failedPrecondition, .failedPrecondition), (.resourceExhausted, .resourceExhausted),
            (.unavailable, .unavailable), (.unauthenticated, .unauthenticated), (.internal, .internal),
        ]
        for (domain, rpc) in cases {
            let error = HeraldError(code: domain, message: "m", cause: HeraldError.internal("secret cause"))
            #expect(error.rpcError == RPCError(code: rpc, message: "m"), "the cause is not sent")
        }
    }

    @Test("masks expand message paths and refuse unknown and output-only paths")
    func masks() throws {
        #expect(try DeliveryFieldMask(paths: []) == .all)
        #expect(try DeliveryFieldMask(paths: ["*"]) == .all)
        #expect(try DeliveryFieldMask(paths: ["content.sender"]).fields == [.contentSenderName, .contentSenderAddress])
        #expect(try DeliveryFieldMask(paths: ["typology", "name"]).fields
            == [.name, .typologyRules, .typologyRateLimit, .typologyTrackingDisabled])
        #expect(throws: HeraldError.self) { try DeliveryFieldMask(paths: ["content.sub"]) }
        #expect(throws: HeraldError.self) { try DeliveryFieldMask(paths: ["kpis.sent"]) }
        #expect(throws: HeraldError.self) { try DeliveryFieldMask(paths: [""]) }
    }

    @Test("page tokens round-trip, are opaque, and are bound to their listing")
    func pageTokens() throws {
        for cursor in ["p1", "a/b+c=d", "é\u{1F600}", String(repeating: "x", count: 256)] {
            let token = PageToken.encode(cursor, kind: "profiles")
            #expect(!token.contains(cursor))
            #expect(try PageToken.decode(token, kind: "profiles") == cursor)
            #expect(throws: HeraldError.self) { try PageToken.decode(token, kind: "deliveries") }
        }
        #expect(PageToken.encode(nil, kind: "profiles") == "")
        #expect(try PageToken.decode("", kind: "profiles") == nil)
        #expect(throws: HeraldError.self) { try PageToken.decode("!!", kind: "profiles") }
        #expect(try PageToken.pageSize(0) == 100)
        #expect(try PageToken.pageSize(5_000) == 1_000)
        #expect(throws: HeraldError.self) { try PageToken.pageSize(-1) }
    }

    @Test("delivery ids sort newest first")
    func deliveryIDs() {
        let older = DeliveryID.make(at: Timestamp(seconds: 1_700_000_000))
        let newer = DeliveryID.make(at: Timestamp(seconds: 1_700_000_001))
        #expect(newer < older)
        #expect(older.hasPrefix("dlv_") && older.count == 22)
    }

    @Test("a delivery survives the round trip through its proto")
    func deliveryRoundTrip() throws {
        let delivery = Delivery(
            id: "dlv_x", name: "n",
            content: .init(subject: "s", sender: .init(name: "N", address: "a@b.co"), replyTo: "r@b.co", htmlBody: "h", textBody: "t"),
            audience: .init(filter: #"tags HAS "x""#),
            schedule: .init(sendTime: Timestamp(seconds: 10), validUntil: Timestamp(seconds: 20, nanoseconds: 5_000)),
            typology: .init(rules: [
                .filtering(name: "f", filter: "email EXISTS"), .pressure(name: "p", maxMessages: 2, periodDays: 7),
                .capacity(name: "c", maxMessages: 10), .controlGroup(name: "g", size: .count(3), seed: .max),
            ]),
            rateLimitPerSecond: 5, trackingEnabled: false
        )
        var copy = Delivery(id: "dlv_x", name: "", content: .init(subject: "", sender: .init(address: ""), htmlBody: ""))
        try copy.apply(delivery.proto, fields: .all)
        #expect(copy == delivery)
    }
}
