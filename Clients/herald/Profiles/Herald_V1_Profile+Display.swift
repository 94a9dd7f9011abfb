import HeraldProtos

extension Herald_V1_Profile {
    /// The subscription without its prefix: SUBSCRIBED, UNSUBSCRIBED...
    var subscriptionName: String {
        Output.shortName(subscription, prefix: "SUBSCRIPTION_")
    }

    /// "First Last".
    var displayName: String {
        [firstName, lastName].filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// The profile as an aligned key-value block.
    var details: String {
        var pairs: [(String, String)] = [
            ("id", id), ("email", email), ("first name", firstName), ("last name", lastName),
            ("locale", locale), ("time zone", timeZone), ("tags", tags.joined(separator: ", ")),
            ("subscription", subscriptionName),
        ]
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) {
            pairs.append(("attributes.\(key)", value))
        }
        pairs.append(("created", Output.time(createdAt)))
        pairs.append(("updated", Output.time(updatedAt)))
        return Table.keyValues(pairs)
    }

    /// The style of a subscription cell.
    static func subscriptionStyle(_ text: String) -> Terminal.Style? {
        switch text {
        case "SUBSCRIBED": .green
        case "UNSUBSCRIBED": .yellow
        case "DENYLISTED": .red
        default: nil
        }
    }
}
