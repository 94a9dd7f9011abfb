import HeraldProtos
import Yams

/// A YAML document turned into the JSON value the generated proto3 JSON decoders take,
/// so that a delivery can be written in YAML as well as JSON.
///
/// Mappings become objects (keys must be scalars), sequences arrays; plain scalars keep
/// the type YAML's core schema resolves (null, booleans, integers, floats), and every
/// other scalar — quoted ones, timestamps, text — stays a string, which proto3 JSON
/// reads for strings, enums, 64-bit integers and timestamps alike.
enum YAMLConversion {
    /// The JSON value of the single document in `text`.
    ///
    /// - Throws: a ``Failure`` whose message gives the line and column of a YAML syntax
    ///   error or of a value that has no JSON form.
    static func json(fromYAML text: String) throws(Failure) -> ProtoJSON {
        try jsonAndKeys(fromYAML: text).json
    }

    /// The JSON value of the single document in `text`, and every mapping key with the
    /// `line:column` of each of its occurrences.
    static func jsonAndKeys(fromYAML text: String) throws(Failure) -> (json: ProtoJSON, keys: [String: [String]]) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Failure.invalidArgument(message(of: error))
        } catch {
            throw Failure.invalidArgument("YAML: \(error)")
        }
        guard let node else { throw Failure.invalidArgument("YAML: the document is empty") }
        var keys: [String: [String]] = [:]
        let json = try json(of: node, keys: &keys)
        return (json, keys)
    }

    private static func json(of node: Node, keys: inout [String: [String]]) throws(Failure) -> ProtoJSON {
        switch node {
        case .mapping(let mapping):
            var members: [ProtoJSON.Member] = []
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key else {
                    throw Failure.invalidArgument("YAML\(position(key.mark)): a mapping key must be a plain value, not a \(key.isMapping ? "mapping" : "sequence")")
                }
                if let mark = key.mark { keys[scalar.string, default: []].append("\(mark.line):\(mark.column)") }
                members.append(ProtoJSON.Member(scalar.string, try json(of: value, keys: &keys)))
            }
            return .object(members)
        case .sequence(let sequence):
            var elements: [ProtoJSON] = []
            for element in sequence {
                elements.append(try json(of: element, keys: &keys))
            }
            return .array(elements)
        case .scalar(let scalar):
            return value(of: scalar, node: node)
        }
    }

    private static func value(of scalar: Node.Scalar, node: Node) -> ProtoJSON {
        switch Tag.Name(rawValue: node.tag.description) {
        case .null:
            return .null
        case .bool:
            return node.bool.map(ProtoJSON.bool) ?? .string(scalar.string)
        case .int:
            return node.int.map { .number(String($0)) } ?? .number(scalar.string)
        case .float:
            guard let value = node.float else { return .string(scalar.string) }
            if value.isNaN { return .string("NaN") }
            if value.isInfinite { return .string(value > 0 ? "Infinity" : "-Infinity") }
            return .number(String(value))
        default:
            return .string(scalar.string)
        }
    }

    /// A Yams error as one line: "YAML 3:7: mapping values are not allowed in this context".
    static func message(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let while_ = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return "YAML \(mark.line):\(mark.column): \(problem)\(while_)"
        case .reader(let problem, let offset, _, _):
            return "YAML: \(problem)" + (offset.map { " at byte \($0)" } ?? "")
        default:
            return "YAML: " + error.description.split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }

    private static func position(_ mark: Mark?) -> String {
        mark.map { " \($0.line):\($0.column)" } ?? ""
    }
}

extension Node {
    fileprivate var isMapping: Bool {
        if case .mapping = self { true } else { false }
    }
}
