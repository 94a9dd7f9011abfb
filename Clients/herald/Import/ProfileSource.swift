import Foundation
import HeraldProtos

/// The profiles of an import file: CSV with a header row, or JSON Lines of Profile JSON.
struct ProfileSource {
    /// A profile read from the file, with the line it came from.
    struct Row {
        var line: Int
        var profile: Herald_V1_Profile
    }

    /// A line that could not be read as a profile.
    struct RowError {
        var line: Int
        var id: String
        var message: String
    }

    /// The file's formats.
    enum Format: String {
        case csv
        case jsonLines = "jsonl"
    }

    var rows: [Row] = []
    var errors: [RowError] = []

    /// The CSV columns besides `attributes.X`.
    static let csvColumns = ["id", "email", "first_name", "last_name", "locale", "time_zone", "tags", "subscription"]

    /// Reads `path`; the format comes from the extension (.csv; .jsonl, .ndjson, .json)
    /// or, failing that, from the first character (`{` for JSON Lines).
    static func read(path: String) throws -> ProfileSource {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure.other("cannot read '\(path)'")
        }
        let bytes = [UInt8](data)
        let format: Format
        switch (path as NSString).pathExtension.lowercased() {
        case "csv": format = .csv
        case "jsonl", "ndjson", "json": format = .jsonLines
        default:
            let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
            format = first == UInt8(ascii: "{") ? .jsonLines : .csv
        }
        switch format {
        case .csv: return try csv(bytes)
        case .jsonLines: return jsonLines(bytes)
        }
    }

    static func csv(_ bytes: [UInt8]) throws -> ProfileSource {
        let records = try CSVReader.records(bytes)
        guard let header = records.first else { return ProfileSource() }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        for column in columns where !csvColumns.contains(column) && !column.hasPrefix("attributes.") {
            throw Failure.invalidArgument(
                "unknown CSV column '\(column)' (expected \(csvColumns.joined(separator: ", ")) or attributes.NAME)")
        }
        guard columns.contains("id") else { throw Failure.invalidArgument("the CSV header has no 'id' column") }
        var source = ProfileSource()
        source.rows.reserveCapacity(records.count - 1)
        for record in records.dropFirst() {
            guard record.fields.count == columns.count else {
                source.errors.append(RowError(
                    line: record.line, id: record.fields.first ?? "",
                    message: "expected \(columns.count) fields, found \(record.fields.count)"))
                continue
            }
            var profile = Herald_V1_Profile()
            do {
                for (column, value) in zip(columns, record.fields) {
                    try set(column, value, in: &profile)
                }
                source.rows.append(Row(line: record.line, profile: profile))
            } catch {
                source.errors.append(RowError(line: record.line, id: profile.id, message: "\(error)"))
            }
        }
        return source
    }

    private static func set(_ column: String, _ value: String, in profile: inout Herald_V1_Profile) throws {
        switch column {
        case "id": profile.id = value
        case "email": profile.email = value
        case "first_name": profile.firstName = value
        case "last_name": profile.lastName = value
        case "locale": profile.locale = value
        case "time_zone": profile.timeZone = value
        case "tags": profile.tags = value.split(separator: "|").map(String.init)
        case "subscription":
            guard !value.isEmpty else { return }
            let name = value.uppercased()
            guard let subscription = Herald_V1_Subscription(protoName: name) ?? Herald_V1_Subscription(protoName: "SUBSCRIPTION_" + name) else {
                throw Failure.invalidArgument("unknown subscription '\(value)'")
            }
            profile.subscription = subscription
        default:
            if !value.isEmpty {
                profile.attributes[String(column.dropFirst("attributes.".count))] = value
            }
        }
    }

    static func jsonLines(_ bytes: [UInt8]) -> ProfileSource {
        var source = ProfileSource()
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var content = Array(line)
            if lineNumber == 1, content.starts(with: [0xEF, 0xBB, 0xBF]) { content.removeFirst(3) }
            if content.allSatisfy({ [0x20, 0x09, 0x0D].contains($0) }) { continue }
            do throws(ProtoJSONError) {
                let json = try ProtoJSON(parsing: content)
                source.rows.append(Row(line: lineNumber, profile: try Herald_V1_Profile(json: json)))
            } catch {
                let id = (try? ProtoJSON(parsing: content))?["id"]?.stringValue ?? ""
                source.errors.append(RowError(line: lineNumber, id: id, message: error.message))
            }
        }
        return source
    }
}
