/// An RFC 4180 CSV reader: comma-separated fields, double-quoted fields that may hold
/// commas, quotes (doubled) and line breaks; LF or CRLF line ends; a UTF-8 BOM is skipped.
struct CSVReader {
    /// One record and the line it starts on (1-based).
    struct Record {
        var line: Int
        var fields: [String]
    }

    /// Every record of `bytes`; blank lines are skipped.
    /// - Throws: ``Failure`` for an unterminated quoted field or stray quote.
    static func records(_ bytes: [UInt8]) throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var recordLine = 1
        var quoted = false
        var fieldWasQuoted = false

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\""):
                guard field.isEmpty, !fieldWasQuoted else {
                    throw Failure.invalidArgument("line \(line): stray '\"' in an unquoted CSV field")
                }
                quoted = true
                fieldWasQuoted = true
            case UInt8(ascii: "\r") where index < bytes.count && bytes[index] == UInt8(ascii: "\n"):
                break
            case UInt8(ascii: "\n"):
                endRecord()
                line += 1
                recordLine = line
            default:
                field.append(byte)
            }
        }
        if quoted {
            throw Failure.invalidArgument("line \(recordLine): unterminated quoted CSV field")
        }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted {
            endRecord()
        }
        return records
    }
}
