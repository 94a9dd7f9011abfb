/// A point in time, with microsecond precision, counted from the Unix epoch (UTC).
///
/// Herald's own small time type: it keeps HeraldCore free of Foundation, orders and
/// hashes as one integer, and is stored as that integer by the stores.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z (negative before it).
    public var microsecondsSinceEpoch: Int64

    /// Creates a timestamp from microseconds since the Unix epoch.
    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// Creates a timestamp from whole seconds and nanoseconds since the Unix epoch
    /// (the shape of `google.protobuf.Timestamp`); nanoseconds are truncated to micros.
    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.microsecondsSinceEpoch = seconds * 1_000_000 + Int64(nanoseconds / 1000)
    }

    /// Whole seconds since the epoch, rounded towards negative infinity.
    public var seconds: Int64 {
        let (q, r) = microsecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000)
        return r < 0 ? q - 1 : q
    }

    /// The nanoseconds within ``seconds``, in `0..<1_000_000_000`.
    public var nanoseconds: Int32 {
        Int32((microsecondsSinceEpoch - seconds * 1_000_000) * 1000)
    }

    /// The Unix epoch.
    public static let epoch = Timestamp(microsecondsSinceEpoch: 0)

    /// Returns this timestamp moved by a number of seconds.
    public func adding(seconds: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + seconds * 1_000_000)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// The RFC 3339 form in UTC, e.g. `2024-05-01T12:00:00.250Z`.
    public var description: String { rfc3339 }

    /// The RFC 3339 form in UTC; fractional seconds appear only when non-zero.
    public var rfc3339: String {
        let secs = seconds
        let micros = Int(microsecondsSinceEpoch - secs * 1_000_000)
        let (days, secOfDay) = Self.floorDivide(secs, 86_400)
        let (y, m, d) = Self.civil(fromDays: days)
        let hh = Int(secOfDay / 3600), mm = Int(secOfDay % 3600 / 60), ss = Int(secOfDay % 60)
        var out = "\(Self.pad(y, 4))-\(Self.pad(m, 2))-\(Self.pad(d, 2))T\(Self.pad(hh, 2)):\(Self.pad(mm, 2)):\(Self.pad(ss, 2))"
        if micros != 0 {
            var frac = Self.pad(micros, 6)
            while frac.hasSuffix("0") { frac.removeLast() }
            out += ".\(frac)"
        }
        return out + "Z"
    }

    /// Parses an RFC 3339 date-time (`2024-05-01T12:00:00Z`, `…T12:00:00.5+02:00`,
    /// `t`/`z` and a space separator accepted) or a full date (`2024-05-01`, midnight
    /// UTC). Returns `nil` for anything else.
    public init?(rfc3339 text: String) {
        var p = Scanner(Array(text.utf8))
        guard let year = p.digits(4), p.eat(UInt8(ascii: "-")),
              let month = p.digits(2), p.eat(UInt8(ascii: "-")),
              let day = p.digits(2),
              (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var micros: Int64 = 0
        var offsetSeconds: Int64 = 0
        if !p.atEnd {
            guard p.eat(UInt8(ascii: "T")) || p.eat(UInt8(ascii: "t")) || p.eat(UInt8(ascii: " ")),
                  let hh = p.digits(2), p.eat(UInt8(ascii: ":")),
                  let mi = p.digits(2), p.eat(UInt8(ascii: ":")),
                  let ss = p.digits(2), hh < 24, mi < 60, ss < 60
            else { return nil }
            micros = Int64(hh * 3600 + mi * 60 + ss) * 1_000_000
            if p.eat(UInt8(ascii: ".")) {
                var scale: Int64 = 100_000
                var any = false
                while let digit = p.digit() {
                    any = true
                    micros += Int64(digit) * scale
                    scale /= 10
                }
                guard any else { return nil }
            }
            if p.eat(UInt8(ascii: "Z")) || p.eat(UInt8(ascii: "z")) {
                offsetSeconds = 0
            } else {
                let sign: Int64
                if p.eat(UInt8(ascii: "+")) { sign = 1 } else if p.eat(UInt8(ascii: "-")) { sign = -1 } else { return nil }
                guard let oh = p.digits(2), p.eat(UInt8(ascii: ":")), let om = p.digits(2), oh < 24, om < 60
                else { return nil }
                offsetSeconds = sign * Int64(oh * 3600 + om * 60)
            }
            guard p.atEnd else { return nil }
        }
        let days = Self.days(fromCivil: year, month, day)
        self.microsecondsSinceEpoch = (days * 86_400 - offsetSeconds) * 1_000_000 + micros
    }
}

extension Timestamp {
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { index == bytes.count }
        mutating func eat(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        mutating func digit() -> Int? {
            guard index < bytes.count, (48...57).contains(bytes[index]) else { return nil }
            defer { index += 1 }
            return Int(bytes[index] - 48)
        }
        mutating func digits(_ count: Int) -> Int? {
            var value = 0
            for _ in 0..<count {
                guard let d = digit() else { return nil }
                value = value * 10 + d
            }
            return value
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    private static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    private static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }
}
