import Foundation
import HeraldProtos

/// A message read from a JSON or YAML file (`-` for standard input) in its proto3 JSON form.
///
/// The format follows the extension (`.json`; `.yaml`, `.yml`); without one of those it
/// is sniffed: a document whose first non-blank character is `{` or `[` is JSON, anything
/// else YAML.
enum InputDocument {
    /// The two formats a document may be written in.
    enum Format: Equatable {
        case json
        case yaml
    }

    /// The format of `path` with `contents`.
    static func format(path: String, contents: [UInt8]) -> Format {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".json") { return .json }
        if lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml") { return .yaml }
        let first = contents.first { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[") ? .json : .yaml
    }

    /// Reads `path` into the JSON value of a message.
    static func read(path: String) throws(Failure) -> ProtoJSON {
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
                return try ProtoJSON(parsing: bytes)
            } catch {
                throw Failure.invalidArgument("\(path): \(error.message)")
            }
        case .yaml:
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw Failure.invalidArgument("\(path): YAML must be UTF-8")
            }
            do {
                return try YAMLConversion.json(fromYAML: text)
            } catch {
                throw Failure(message: error.message.replacingOccurrences(of: "INVALID_ARGUMENT: ", with: "INVALID_ARGUMENT: \(path): "),
                              exitCode: error.exitCode)
            }
        }
    }
}
