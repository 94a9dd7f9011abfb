import Foundation
import HeraldProtos

extension Herald_V1_Delivery {
    /// The state without its prefix: DRAFT, READY...
    var stateName: String {
        Output.shortName(state, prefix: "DELIVERY_STATE_")
    }

    /// The delivery as an aligned key-value block: every field that is set, by its JSON
    /// path, the state and times first.
    var details: String {
        var pairs: [(String, String)] = [
            ("id", id), ("name", name), ("state", Terminal.styled(stateName, Self.stateStyle(stateName) ?? .bold)),
            ("created", Output.time(createTime)), ("updated", Output.time(updateTime)),
        ]
        var rest = self
        rest.id = ""
        rest.name = ""
        rest.state = .unspecified
        rest.createTime = nil
        rest.updateTime = nil
        pairs += Output.flatten(rest.jsonValue()).map { key, value in
            (key, value.count > 100 || value.contains("\n") ? Self.summary(value) : value)
        }
        return Table.keyValues(pairs)
    }

    private static func summary(_ text: String) -> String {
        let firstLine = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return String(firstLine.prefix(60)) + "… (\(text.utf8.count) bytes)"
    }

    /// The style of a state cell.
    static func stateStyle(_ text: String) -> Terminal.Style? {
        switch text {
        case "DRAFT": .blue
        case "PREPARING", "SENDING", "SCHEDULED": .cyan
        case "READY", "COMPLETED": .green
        case "PAUSED": .yellow
        case "PREPARATION_FAILED", "FAILED", "CANCELLED": .red
        default: nil
        }
    }

    /// Reads a delivery from a JSON or YAML file (`-` for standard input); see ``InputDocument``.
    static func read(path: String) throws -> Herald_V1_Delivery {
        let document = try InputDocument.read(path: path)
        do {
            return try Herald_V1_Delivery(json: document.json)
        } catch {
            throw document.failure(error)
        }
    }
}
