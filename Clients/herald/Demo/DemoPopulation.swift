/// The demo's generated recipients and delivery: deterministic (a fixed-seed generator),
/// with a few profiles of each exclusion cause the address checks find.
enum DemoPopulation {
    /// The CSV header and `count` rows, as `herald profiles import` reads them.
    ///
    /// Every profile is tagged `news` (the audience), every tenth `vip`; in between:
    /// no address (1 in 97), a malformed one (1 in 89), the previous profile's address
    /// again (1 in 53), unsubscribed (1 in 61).
    static func csv(count: Int) -> String {
        let first = ["Anna", "Björn", "Chloé", "Dmitri", "Eva", "Farid", "Grete", "Hiro", "Inès", "Jonas", "Zoë"]
        let last = ["Svensson", "Müller", "Dupont", "Novak", "Rossi", "Tanaka", "García", "O'Brien"]
        let cities = ["Stockholm", "Paris", "Berlin", "Lyon", "Oslo", "Madrid"]
        var random = SplitMix64(seed: 7)
        var out = "id,email,first_name,last_name,tags,attributes.city,attributes.vip,subscription\n"
        out.reserveCapacity(count * 110)
        for i in 0..<count {
            var email = "user\(i)@example.com"
            if i % 97 == 5 {
                email = ""  // ADDRESS_NOT_SPECIFIED
            } else if i % 89 == 7 {
                email = "user\(i)-at-nowhere"  // BAD_QUALITY_ADDRESS
            } else if i % 53 == 9 {
                email = "user\(i - 1)@example.com"  // DUPLICATE
            }
            let vip = i % 10 == 0
            let row = [
                "p" + String(i).leftPadded(to: 6), email, random.pick(first), random.pick(last), vip ? "news|vip" : "news",
                random.pick(cities), vip ? "true" : "false", i % 61 == 3 ? "UNSUBSCRIBED" : "SUBSCRIBED",
            ]
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }

    /// The delivery, in the proto3 JSON form: a personalized template, the `news`
    /// audience and three typology rules.
    static let deliveryJSON = #"""
        {
          "name": "Herald demo",
          "content": {
            "subject": "{{first_name}}, your spring selection",
            "sender": {"name": "Herald Demo", "address": "news@example.com"},
            "htmlBody": "<html><body><h1>Hello {{first_name}} {{last_name}}</h1><p>New arrivals in {{attributes.city}}.</p>{{#attributes.vip}}<p>As a VIP you get early access.</p>{{/attributes.vip}}<p><a href=\"https://example.com/spring\">See the collection</a> · <a href=\"https://example.com/stores\">Find a store</a></p><p><a href=\"{{unsubscribe_url}}\">Unsubscribe</a></p></body></html>"
          },
          "audience": {"filter": "tags HAS \"news\""},
          "typology": {
            "rules": [
              {"filtering": {"name": "No Oslo this time", "filter": "attributes.city = \"Oslo\""}},
              {"controlGroup": {"name": "Holdout", "percent": 5, "seed": "42"}},
              {"capacity": {"name": "At most 15,000", "maxMessages": "15000"}}
            ]
          }
        }
        """#
}

/// A small deterministic generator (SplitMix64).
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An element of `choices` (not empty).
    mutating func pick(_ choices: [String]) -> String {
        choices[Int(next() % UInt64(choices.count))]
    }
}

extension String {
    /// The string with leading zeros up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
