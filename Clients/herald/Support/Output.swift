import HeraldProtos

/// Printing results: one JSON object per line with `--json`, else text for people.
enum Output {
    /// Prints `message` as one line of JSON.
    static func printJSON(_ message: some ProtoJSONMessage) {
        print(message.jsonText())
    }

    /// Prints a JSON value as one line.
    static func printJSON(_ value: ProtoJSON) {
        print(value.serialized())
    }

    /// A JSON value flattened to dotted keys ("content.sender.address") with display
    /// values: strings as they are, arrays of scalars joined by ", ".
    static func flatten(_ json: ProtoJSON, prefix: String = "") -> [(String, String)] {
        switch json {
        case .object(let members):
            return members.flatMap { member in
                flatten(member.value, prefix: prefix.isEmpty ? member.key : prefix + "." + member.key)
            }
        case .array(let elements):
            if elements.allSatisfy({ if case .object = $0 { false } else { true } }) {
                return [(prefix, elements.map(scalarText).joined(separator: ", "))]
            }
            return elements.enumerated().flatMap { index, element in flatten(element, prefix: "\(prefix)[\(index)]") }
        default:
            return [(prefix, scalarText(json))]
        }
    }

    /// The text of a scalar JSON value.
    static func scalarText(_ json: ProtoJSON) -> String {
        switch json {
        case .null: "null"
        case .bool(let value): value ? "yes" : "no"
        case .number(let text): text
        case .string(let text): text
        case .array, .object: json.serialized()
        }
    }

    /// An enum value's name without its type prefix: `DELIVERY_STATE_DRAFT` -> `DRAFT`.
    static func shortName(_ value: some ProtoEnum, prefix: String) -> String {
        guard let name = value.protoName else { return String(value.rawValue) }
        return name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
    }

    /// A timestamp as RFC 3339 text, or "" when absent.
    static func time(_ timestamp: Google_Protobuf_Timestamp?) -> String {
        timestamp.map { $0.jsonValue().stringValue ?? "" } ?? ""
    }
}
