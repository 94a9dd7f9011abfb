import HeraldCore

/// A population where the expected count of every exclusion cause is known exactly
/// (see `expected`), for the delivery `crafted`, with the clock at `CraftedPopulation.now`.
enum CraftedPopulation {
    static let now = Timestamp(seconds: 1_735_689_600)  // 2025-01-01T00:00:00Z
    static let seed: UInt64 = 42

    /// 40 clean profiles c001…c040, then the ones each check or rule excludes.
    static var profiles: [Profile] {
        var out: [Profile] = []
        for i in 1...40 {
            let n = String(i).leftPadded(3)
            out.append(Profile(
                id: "c\(n)", email: "c\(n)@example.com", firstName: "Name\(n)", tags: ["news"],
                attributes: ["city": i % 2 == 0 ? "Lund" : "Malmö", "vip": i % 3 == 0 ? "true" : "false"]
            ))
        }
        func p(_ id: String, _ email: String, _ subscription: Profile.Subscription = .subscribed, first: String = "X") -> Profile {
            Profile(id: id, email: email, firstName: first, tags: ["news"], subscription: subscription)
        }
        out += [p("e001", ""), p("e002", ""), p("e003", "")]  // 7
        out += [
            p("u001", "u1@example.com", .unsubscribed), p("u002", "u2@example.com", .unsubscribed),
            p("x001", "x1@example.com", .denylisted), p("x002", "x2@example.com", .denylisted),
            p("u003", "shared@example.com", .unsubscribed),  // 8 (5)
        ]
        out += [p("v001", "shared@example.com")]  // kept: the unsubscribed profile does not hold the address
        out += [p("q001", "q1@example.com"), p("q002", "Q2@example.com")]  // 9
        out += [
            p("d001", "dup@example.com"), p("d002", "dup@example.com"), p("d003", "DUP@example.com"),
            p("d004", "dup@example.com"),
        ]  // 10 (3), d001 kept
        out += [p("b001", "not-an-email"), p("b002", "a@b")]  // 14
        out += [p("f001", "f1@competitor.com"), p("f002", "f2@competitor.com"), p("f003", "f3@competitor.com")]  // 11
        out += [p("a001", "a1@example.com", first: "Eve\r\nBcc: x@evil.example")]  // 21
        for i in 1...5 { out.append(Profile(id: "z00\(i)", email: "z\(i)@example.com")) }  // not targeted
        return out
    }

    /// Quarantined addresses (stored in another case than q002's).
    static let quarantined = ["q1@example.com", "q2@example.com"]

    /// Messages sent before: c001 and c002 twice in the last week (excluded by the
    /// pressure rule), c003 once, c004 three times 10 days ago (both kept).
    static var sentLedger: [PreparedMessage] {
        var rows: [PreparedMessage] = []
        func sent(_ profile: String, daysAgo: Int64) {
            let seq = rows.count + 1
            rows.append(PreparedMessage(
                deliveryID: "old", sequence: seq, profileID: profile, address: "\(profile)@example.com",
                trackingID: "old.\(seq)", status: .sent, statusTime: now.adding(seconds: -daysAgo * 86_400)
            ))
        }
        sent("c001", daysAgo: 1); sent("c001", daysAgo: 6)
        sent("c002", daysAgo: 2); sent("c002", daysAgo: 3)
        sent("c003", daysAgo: 1)
        sent("c004", daysAgo: 10); sent("c004", daysAgo: 11); sent("c004", daysAgo: 12)
        return rows
    }

    static let html = """
        <html><body>
        <p>Hello {{first_name}} from {{attributes.city}}</p>
        {{#attributes.vip}}<p>VIP offer</p>{{/attributes.vip}}
        <a href="https://shop.example.com/a">A</a> <a href='http://shop.example.com/b?x=1'>B</a>
        <a href="mailto:help@example.com">help</a>
        <a href="{{unsubscribe_url}}">unsubscribe</a> view {{view_id}}
        </body></html>
        """

    static var delivery: Delivery {
        Delivery(
            id: "crafted", name: "Crafted",
            content: .init(
                subject: "Hello {{first_name}}", sender: .init(name: "Shop", address: "news@shop.example.com"),
                htmlBody: html, textBody: "Hi {{first_name}}, unsubscribe: {{unsubscribe_url}}"
            ),
            audience: .init(filter: #"tags HAS "news""#),
            typology: .init(rules: [
                .filtering(name: "no-competitors", filter: #"email ENDS WITH "@competitor.com""#),
                .pressure(name: "weekly", maxMessages: 2, periodDays: 7),
                .capacity(name: "cap", maxMessages: 36),
                .controlGroup(name: "holdout", size: .count(3), seed: seed),
            ])
        )
    }

    static let expected: [ExclusionCause: Int] = [
        .addressNotSpecified: 3, .denylisted: 5, .quarantined: 2, .duplicate: 3, .badQualityAddress: 2,
        .excludedByFilter: 3, .excludedAfterArbitration: 2, .targetLimited: 5, .controlGroup: 3, .personalizationError: 1,
    ]
    static let targeted = 61
    static let toDeliver = 32

    /// Stores the population, quarantines, ledger and delivery.
    static func load(profiles profileStore: any ProfileStore, deliveries: any DeliveryStore, store: any PreparationStore) async throws {
        let result = try await profileStore.upsertProfiles(profiles, at: now)
        precondition(result.errors.isEmpty, "\(result.errors)")
        for address in quarantined { try await store.quarantine(address: address, reason: "hard bounce", at: now) }
        try await store.appendMessages(sentLedger)
        try await deliveries.createDelivery(delivery)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
