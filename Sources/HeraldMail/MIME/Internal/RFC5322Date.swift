internal import struct Foundation.Date

/// The RFC 5322 `date-time` of a date in UTC: `Thu, 21 May 2026 10:11:12 +0000`.
enum RFC5322Date {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The UTC calendar fields of `date`, whole seconds.
    private struct Fields {
        var weekday: Int
        var day: Int64
        var month: Int64
        var year: Int64
        var secondOfDay: Int64

        init(_ date: Date) {
            let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
            var days = seconds / 86_400
            var rest = seconds % 86_400
            if rest < 0 {
                rest += 86_400
                days -= 1
            }
            weekday = Int(((days % 7) + 7) % 7)
            secondOfDay = rest
            // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
            let z = days + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let doe = z - era * 146_097
            let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
            let mp = (5 * doy + 2) / 153
            day = doy - (153 * mp + 2) / 5 + 1
            month = mp < 10 ? mp + 3 : mp - 9
            year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        }
    }

    static func format(_ date: Date) -> String {
        let f = Fields(date)
        let rest = f.secondOfDay
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(weekdays[f.weekday]), \(f.day) \(months[Int(f.month - 1)]) \(f.year) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) +0000"
    }

    /// ``format(_:)``'s bytes appended to `out`, without building strings.
    static func append(_ date: Date, to out: inout [UInt8]) {
        let f = Fields(date)
        let (day, month, year, rest) = (f.day, f.month, f.year, f.secondOfDay)
        guard year >= 0 && year <= 9999 else {
            out.append(contentsOf: format(date).utf8)
            return
        }
        out.append(contentsOf: weekdays[f.weekday].utf8)
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: " "))
        if day >= 10 { out.append(48 + UInt8(day / 10)) }
        out.append(48 + UInt8(day % 10))
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: months[Int(month - 1)].utf8)
        out.append(UInt8(ascii: " "))
        if year >= 1000 { out.append(48 + UInt8(year / 1000)) }
        if year >= 100 { out.append(48 + UInt8(year / 100 % 10)) }
        if year >= 10 { out.append(48 + UInt8(year / 10 % 10)) }
        out.append(48 + UInt8(year % 10))
        func two(_ separator: UInt8, _ value: Int64, _ out: inout [UInt8]) {
            out.append(separator)
            out.append(48 + UInt8(value / 10))
            out.append(48 + UInt8(value % 10))
        }
        two(UInt8(ascii: " "), rest / 3600, &out)
        two(UInt8(ascii: ":"), rest / 60 % 60, &out)
        two(UInt8(ascii: ":"), rest % 60, &out)
        out.append(contentsOf: " +0000".utf8)
    }
}
