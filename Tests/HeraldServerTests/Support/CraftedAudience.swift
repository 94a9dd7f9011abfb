import Foundation
import GRPCInterop
import HeraldCore
import HeraldProtos
import HeraldRPC
import HeraldStore

/// A population where the expected count of every exclusion cause is known exactly,
/// loaded through UpsertProfiles and CreateDelivery; quarantines and the SENT ledger
/// the pressure rule counts go through the store API (a second connection to the file),
/// as their RPCs come in later issues.
enum CraftedAudience {
    static let targeted: Int64 = 61
    static let toDeliver: Int64 = 32
    static let expected: [Herald_V1_ExclusionCause: Int64] = [
        .addressNotSpecified: 3, .denylisted: 5, .quarantined: 2, .duplicate: 3, .badQualityAddress: 2,
        .excludedByFilter: 3, .excludedAfterArbitration: 2, .targetLimited: 5, .controlGroup: 3, .personalizationError: 1,
    ]

    /// 40 clean profiles c001…c040, then the ones each check or rule excludes, then 5
    /// profiles the audience does not match.
    static var profiles: [Herald_V1_Profile] {
        func p(
            _ id: String, _ email: String, _ subscription: Herald_V1_Subscription = .subscribed, first: String = "X",
            tags: [String] = ["news"], attributes: [String: String] = [:]
        ) -> Herald_V1_Profile {
            var profile = Herald_V1_Profile()
            profile.id = id
            profile.email = email
            profile.firstName = first
            profile.tags = tags
            profile.attributes = attributes
            profile.subscription = subscription
            return profile
        }
        var out: [Herald_V1_Profile] = []
        for i in 1...40 {
            let n = String(format: "%03d", i)
            out.append(p(
                "c\(n)", "c\(n)@example.com", first: "Name\(n)",
                attributes: ["city": i % 2 == 0 ? "Lund" : "Malmö", "vip": i % 3 == 0 ? "true" : "false"]
            ))
        }
        out += [p("e001", ""), p("e002", ""), p("e003", "")]  // 7
        out += [
            p("u001", "u1@example.com", .unsubscribed), p("u002", "u2@example.com", .unsubscribed),
            p("x001", "x1@example.com", .denylisted), p("x002", "x2@example.com", .denylisted),
            p("u003", "shared@example.com", .unsubscribed),
        ]  // 8 (5)
        out += [p("v001", "shared@example.com")]  // kept: the unsubscribed profile does not hold the address
        out += [p("q001", "q1@example.com"), p("q002", "Q2@example.com")]  // 9
        out += [
            p("d001", "dup@example.com"), p("d002", "dup@example.com"), p("d003", "DUP@example.com"),
            p("d004", "dup@example.com"),
        ]  // 10 (3), d001 kept
        out += [p("b001", "not-an-email"), p("b002", "a@b")]  // 14
        out += [p("f001", "f1@competitor.com"), p("f002", "f2@competitor.com"), p("f003", "f3@competitor.com")]  // 11
        out += [p("a001", "a1@example.com", first: "Eve\r\nBcc: x@evil.example")]  // 21: header injection in the subject
        for i in 1...5 { out.append(p("z00\(i)", "z\(i)@example.com", tags: [])) }  // not targeted
        return out
    }

    /// The delivery: every rule type; c001 and c002 were sent 2 messages this week
    /// (pressure, 12), the capacity rule keeps 36 (17: 5), the control group holds 3 (127).
    static var delivery: Herald_V1_Delivery {
        var delivery = deliveryMessage(name: "Crafted", filter: #"tags HAS "news""#, sender: "news@shop.example.com")
        delivery.content?.subject = "Hello {{first_name}}"
        delivery.content?.htmlBody = """
            <html><body><p>Hello {{first_name}} from {{attributes.city}}</p>
            {{#attributes.vip}}<p>VIP offer</p>{{/attributes.vip}}
            <a href="https://shop.example.com/a">A</a> <a href="{{unsubscribe_url}}">unsubscribe</a> view {{view_id}}
            </body></html>
            """
        delivery.content?.textBody = "Hi {{first_name}}, unsubscribe: {{unsubscribe_url}}"
        func rule(_ kind: Herald_V1_TypologyRule.OneOf_Kind) -> Herald_V1_TypologyRule {
            var rule = Herald_V1_TypologyRule()
            rule.kind = kind
            return rule
        }
        var filtering = Herald_V1_FilteringRule()
        filtering.name = "no-competitors"
        filtering.filter = #"email ENDS WITH "@competitor.com""#
        var pressure = Herald_V1_PressureRule()
        pressure.name = "weekly"
        pressure.maxMessages = 2
        pressure.periodDays = 7
        var capacity = Herald_V1_CapacityRule()
        capacity.name = "cap"
        capacity.maxMessages = 36
        var control = Herald_V1_ControlGroupRule()
        control.name = "holdout"
        control.size = .count(3)
        control.seed = 42
        var typology = Herald_V1_Typology()
        typology.rules = [rule(.filtering(filtering)), rule(.pressure(pressure)), rule(.capacity(capacity)), rule(.controlGroup(control))]
        delivery.typology = typology
        return delivery
    }

    /// Loads the population, the quarantines and the ledger; returns the delivery's id.
    static func load(into client: GRPCClient, databasePath: String) async throws -> String {
        let response = try await client.upsert(profiles)
        guard response.errors.isEmpty else { throw RPCError(code: .internal, message: "\(response.errors)") }
        let store = try SQLiteStore(path: databasePath, logger: quietLogger)
        defer { try? store.close() }
        let now = Timestamp(microsecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000_000))
        for address in ["q1@example.com", "q2@example.com"] {
            try await store.quarantine(address: address, reason: "hard bounce", at: now)
        }
        var ledger: [PreparedMessage] = []
        for (profile, daysAgo) in [("c001", 1), ("c001", 6), ("c002", 2), ("c002", 3), ("c003", 1), ("c004", 10), ("c004", 11)] {
            let sequence = ledger.count + 1
            ledger.append(PreparedMessage(
                deliveryID: "old", sequence: sequence, profileID: profile, address: "\(profile)@example.com",
                trackingID: "old.\(sequence)", status: .sent, statusTime: now.adding(seconds: -Int64(daysAgo) * 86_400)
            ))
        }
        try await store.appendMessages(ledger)
        return try await client.createDelivery(delivery).id
    }
}
