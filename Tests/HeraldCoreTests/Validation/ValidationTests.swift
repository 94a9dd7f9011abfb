import HeraldCore
import Testing

@Suite("Profile and delivery validation")
struct ValidationTests {
    static func message(_ body: () throws(HeraldError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            #expect(error.code == .invalidArgument)
            return error.message
        }
    }

    @Test(
        "bad profiles",
        arguments: [
            (Profile(id: ""), "profile id is missing"),
            (Profile(id: String(repeating: "x", count: 257)), "profile id is longer than 256 bytes"),
            (Profile(id: "a", email: "x\u{0}y"), "profile 'a': email contains a NUL character"),
            (Profile(id: "a", tags: [""]), "profile 'a' has an empty tag"),
            (Profile(id: "a", attributes: ["1x": "v"]), "profile 'a': attribute key '1x' is not valid (letters, digits, '_', '.', '-'; starting with a letter or '_')"),
            (Profile(id: "a", attributes: ["has space": "v"]), "profile 'a': attribute key 'has space' is not valid (letters, digits, '_', '.', '-'; starting with a letter or '_')"),
            (Profile(id: "a", attributes: ["k": "v\u{0}"]), "profile 'a': attribute 'k' contains a NUL character"),
        ]
    )
    func badProfiles(profile: Profile, expected: String) {
        #expect(Self.message { () throws(HeraldError) in try profile.validate() } == expected)
    }

    @Test("a good profile passes; an invalid email is accepted (excluded later, cause 14)")
    func goodProfile() {
        #expect(Self.message { () throws(HeraldError) in
            try Profile(id: "a", email: "not an address", tags: ["x"], attributes: ["a.b_c-d": "v"]).validate()
        } == nil)
    }

    static let content = Delivery.Content(subject: "Hi", sender: .init(name: "Shop", address: "news@shop.example"), htmlBody: "<p>Hi</p>")

    static func delivery(_ change: (inout Delivery) -> Void) -> Delivery {
        var d = Delivery(id: "d1", name: "Spring", content: content)
        change(&d)
        return d
    }

    @Test(
        "bad deliveries",
        arguments: [
            (delivery { $0.name = "" }, "name is required"),
            (delivery { $0.content.sender.address = "" }, "content.from.address is required"),
            (delivery { $0.content.sender.address = "shop" }, "content.from.address 'shop' is not a valid email address"),
            (delivery { $0.content.replyTo = "x@" }, "content.reply_to 'x@' is not a valid email address"),
            (delivery { $0.audience.filter = "country = \"SE\"" }, "audience.filter: invalid audience filter: unknown field 'country' at 1:1; did you mean attributes.country?"),
            (delivery { $0.rateLimitPerSecond = 0 }, "rate_limit_per_second must be positive (got 0)"),
            (delivery { $0.schedule = .init(sendTime: Timestamp(seconds: 10), validUntil: Timestamp(seconds: 5)) },
             "schedule.valid_until (1970-01-01T00:00:05Z) must be after schedule.send_time (1970-01-01T00:00:10Z)"),
            (delivery { $0.typology.rules = [.pressure(name: "", maxMessages: 1, periodDays: 1)] }, "typology.rules[0]: rule name is required"),
            (delivery { $0.typology.rules = [.pressure(name: "p", maxMessages: 0, periodDays: 7)] },
             "typology.rules[0]: pressure rule 'p': max_messages must be at least 1 (got 0)"),
            (delivery { $0.typology.rules = [.pressure(name: "p", maxMessages: 3, periodDays: 0)] },
             "typology.rules[0]: pressure rule 'p': period_days must be in 1...3650 (got 0)"),
            (delivery { $0.typology.rules = [.capacity(name: "c", maxMessages: -1)] },
             "typology.rules[0]: capacity rule 'c': max_messages must not be negative (got -1)"),
            (delivery { $0.typology.rules = [.controlGroup(name: "g", size: .percent(101), seed: 1)] },
             "typology.rules[0]: control group rule 'g': percent must be in 0...100 (got 101.0)"),
            (delivery { $0.typology.rules = [.controlGroup(name: "g", size: .count(-2), seed: 1)] },
             "typology.rules[0]: control group rule 'g': count must not be negative (got -2)"),
            (delivery { $0.typology.rules = [.filtering(name: "f", filter: " ")] }, "typology.rules[0]: filtering rule 'f': filter is required"),
            (delivery { $0.typology.rules = [.filtering(name: "f", filter: "tags HAS")] },
             "typology.rules[0]: filtering rule 'f': invalid audience filter: expected a value after 'HAS' but found the end of the filter at 1:9"),
            (delivery { $0.typology.rules = [.capacity(name: "c", maxMessages: 1), .capacity(name: "c", maxMessages: 2)] },
             "typology.rules[1]: duplicate rule name 'c'"),
        ]
    )
    func badDeliveries(delivery: Delivery, expected: String) {
        #expect(Self.message { () throws(HeraldError) in try delivery.validate() } == expected)
    }

    @Test("a full delivery passes")
    func goodDelivery() {
        let d = Self.delivery {
            $0.audience.filter = #"attributes.country = "SE""#
            $0.rateLimitPerSecond = 100
            $0.typology.rules = [
                .filtering(name: "no staff", filter: #"email ENDS WITH "@shop.example""#),
                .pressure(name: "pressure", maxMessages: 3, periodDays: 7),
                .capacity(name: "cap", maxMessages: 1000),
                .controlGroup(name: "holdout", size: .percent(5), seed: 42),
            ]
        }
        #expect(Self.message { () throws(HeraldError) in try d.validate() } == nil)
    }
}
