import Foundation
import HeraldProtos

/// A message read from a JSON or YAML file (`-` for standard input) in its proto3 JSON form.
///
/// The format follows the extension (`.json`; `.yaml`, `.yml`); without one of those it
/// is sniffed: a document whose first non-blank character is `{` or `[` is JSON, anything
/// else YAML.
struct InputDocument {
    /// The two formats a document may be written in.
    enum Format: Equatable {
        case json
        case yaml
    }

    /// The path it was read from.
    var path: String
    /// Its JSON value.
    var json: ProtoJSON
    /// For a YAML document: every mapping key with the `line:column` of each occurrence.
    var keyPositions: [String: [String]] = [:]

    /// The format of `path` with `contents`.
    static func format(path: String, contents: [UInt8]) -> Format {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".json") { return .json }
        if lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml") { return .yaml }
        let first = contents.first { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[") ? .json : .yaml
    }

    /// Reads `path` into the JSON value of a message.
    static func read(path: String) throws(Failure) -> InputDocument {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw Failure.other("cannot read '\(path)'")
            }
            data = contents
        }
        let bytes = [UInt8](data)
        switch format(path: path, contents: bytes) {
        case .json:
            do {
                return InputDocument(path: path, json: try ProtoJSON(parsing: bytes))
            } catch {
                throw Failure.invalidArgument("\(path): \(error.message)")
            }
        case .yaml:
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw Failure.invalidArgument("\(path): YAML must be UTF-8")
            }
            do {
                let (json, keys) = try YAMLConversion.jsonAndKeys(fromYAML: text)
                return InputDocument(path: path, json: json, keyPositions: keys)
            } catch {
                throw Failure(message: error.message.replacingOccurrences(of: "INVALID_ARGUMENT: ", with: "INVALID_ARGUMENT: \(path): "),
                              exitCode: error.exitCode)
            }
        }
    }

    /// `error` (from decoding ``json`` into a message) as a ``Failure`` naming the file and,
    /// for YAML, the position of the key it is about when that key occurs once in the
    /// document (`… (at 3:3)`).
    func failure(_ error: ProtoJSONError) -> Failure {
        var message = "\(path): \(error.message)"
        if let key = Self.key(in: error.message), let positions = keyPositions[key] ?? keyPositions[Self.lowerCamel(key)],
            positions.count == 1
        {
            message += " (at \(positions[0]))"
        }
        return Failure.invalidArgument(message)
    }

    /// The key an error is about: `X: unknown field "k"` -> k; `herald.v1.X.field: …` -> field.
    private static func key(in message: String) -> String? {
        if let range = message.range(of: ": unknown field \""), message.hasSuffix("\"") {
            return String(message[range.upperBound..<message.index(before: message.endIndex)])
        }
        guard let colon = message.range(of: ": ") else { return nil }
        let subject = message[..<colon.lowerBound]
        guard let dot = subject.lastIndex(of: "."), subject[..<dot].contains(".") else { return nil }
        return String(subject[subject.index(after: dot)...])
    }

    private static func lowerCamel(_ snake: String) -> String {
        let parts = snake.split(separator: "_")
        guard let first = parts.first else { return snake }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
