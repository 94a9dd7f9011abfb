// The JSON forms of the well-known types in the set: google.protobuf.Timestamp (an
// RFC 3339 string) and google.protobuf.FieldMask (a comma-separated string).

/// "1972-01-01T10:00:20.021Z": UTC, with 0, 3, 6 or 9 fractional digits. Values outside
/// 0001-01-01..9999-12-31 or with nanos outside 0..<1e9 have no valid JSON form: they
/// are written as a string that says so (and is rejected when read back).
package func _heraldTimestampJSON(seconds: Int64, nanos: Int32) -> ProtoJSON {
    guard seconds >= -62_135_596_800, seconds <= 253_402_300_799, (0..<1_000_000_000).contains(nanos) else {
        return .string("invalid timestamp: seconds \(seconds), nanos \(nanos)")
    }
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondOfDay = seconds - days * 86_400
    let (year, month, day) = civilFromDays(days)
    var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
    text += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
    if nanos != 0 {
        let n = Int64(nanos)
        if n % 1_000_000 == 0 {
            text += "." + pad(n / 1_000_000, 3)
        } else if n % 1000 == 0 {
            text += "." + pad(n / 1000, 6)
        } else {
            text += "." + pad(n, 9)
        }
    }
    return .string(text + "Z")
}

/// Reads an RFC 3339 timestamp ("Z" or a "+hh:mm"/"-hh:mm" offset, up to 9
/// fractional digits) into seconds and nanos since the Unix epoch.
package func _heraldTimestampRead(_ json: ProtoJSON, _ field: String) throws(ProtoJSONError) -> (seconds: Int64, nanos: Int32) {
    guard case .string(let text) = json else {
        throw ProtoJSONError("\(field): expected an RFC 3339 timestamp string, got \(json.kindName)")
    }
    let invalid = ProtoJSONError("\(field): \"\(text)\" is not an RFC 3339 timestamp (e.g. 2024-05-01T12:00:00Z)")
    let b = Array(text.utf8)
    var i = 0
    func number(_ width: Int) -> Int64? {
        guard i + width <= b.count else { return nil }
        var value: Int64 = 0
        for k in i..<i + width {
            guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
            value = value * 10 + Int64(b[k] - 0x30)
        }
        i += width
        return value
    }
    func expect(_ chars: String) -> Bool {
        guard i < b.count, chars.utf8.contains(b[i]) else { return false }
        i += 1
        return true
    }
    guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2), expect("Tt"),
          let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2)
    else { throw invalid }
    var nanos: Int64 = 0
    if i < b.count, b[i] == UInt8(ascii: ".") {
        i += 1
        var digits = 0
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
            guard digits < 9 else { throw invalid }
            nanos = nanos * 10 + Int64(b[i] - 0x30)
            digits += 1
            i += 1
        }
        guard digits > 0 else { throw invalid }
        for _ in digits..<9 { nanos *= 10 }
    }
    var offset: Int64 = 0
    if expect("Zz") {
    } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
        let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
        i += 1
        guard let offsetHours = number(2), expect(":"), let offsetMinutes = number(2), offsetHours < 24, offsetMinutes < 60 else {
            throw invalid
        }
        offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
    } else {
        throw invalid
    }
    guard i == b.count, year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
          hour < 24, minute < 60, second < 60
    else { throw invalid }
    let seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    guard seconds >= -62_135_596_800, seconds <= 253_402_300_799 else {
        throw ProtoJSONError("\(field): \"\(text)\" is outside 0001-01-01T00:00:00Z...9999-12-31T23:59:59Z")
    }
    return (seconds, Int32(nanos))
}

/// Paths in lowerCamelCase joined by commas: "content.subject,audience.filter".
package func _heraldFieldMaskJSON(_ paths: [String]) -> ProtoJSON {
    .string(paths.map { path in
        var output = ""
        var upper = false
        for character in path {
            if character == "_" {
                upper = true
            } else if upper {
                output += character.uppercased()
                upper = false
            } else {
                output.append(character)
            }
        }
        return output
    }.joined(separator: ","))
}

/// Reads a comma-separated list of lowerCamelCase paths into snake_case paths.
package func _heraldFieldMaskRead(_ json: ProtoJSON, _ field: String) throws(ProtoJSONError) -> [String] {
    guard case .string(let text) = json else {
        throw ProtoJSONError("\(field): expected a comma-separated field mask string, got \(json.kindName)")
    }
    if text.isEmpty { return [] }
    var paths: [String] = []
    for path in text.split(separator: ",", omittingEmptySubsequences: false) {
        var output = ""
        for character in path {
            if character == "_" {
                throw ProtoJSONError("\(field): field mask path \"\(path)\" must be lowerCamelCase")
            }
            if character.isUppercase {
                output += "_" + character.lowercased()
            } else {
                output.append(character)
            }
        }
        guard !output.isEmpty else { throw ProtoJSONError("\(field): empty path in field mask \"\(text)\"") }
        paths.append(output)
    }
    return paths
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value.magnitude)
    let sign = value < 0 ? "-" : ""
    return sign + String(repeating: "0", count: max(0, width - digits.count)) + digits
}

private func isLeap(_ year: Int64) -> Bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

private func daysIn(month: Int64, year: Int64) -> Int64 {
    switch month {
    case 2: isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
private func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}

private func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
}
