/// Random field values for the generated `arbitrary` functions: edge cases often, Unicode
/// strings with emoji, ZWJ sequences, flags and combining marks, never NaN (NaN != NaN)
/// and never NUL in strings (protobuf-c strings end at NUL; tested separately).
enum ArbitraryValue {
    static let stringPieces: [String] = [
        "a", "Z", "0", " ", "-", "\"", "\\", "\n", "\t", "\u{7F}", "é", "e\u{301}", "ß", "Ω",
        "日本語", "한국어", "עברית", "😀", "👩‍👩‍👧‍👦", "🇸🇪", "🏳️‍🌈", "n\u{303}\u{301}", "\u{FEFF}",
        "\u{200D}", "\u{10FFFF}", "\u{FFFD}", "\u{1}", "ok",
    ]

    static func bool(using rng: inout some RandomNumberGenerator) -> Bool {
        rng.next() & 1 == 1
    }

    /// Elements of a repeated field or map: often none, usually a few, 10,000 when `large`.
    static func count(using rng: inout some RandomNumberGenerator, large: Bool) -> Int {
        if large {
            return 10_000
        }
        let roll = rng.next(upperBound: UInt(10))
        return roll < 3 ? 0 : Int(rng.next(upperBound: UInt(5))) + 1
    }

    static func string(using rng: inout some RandomNumberGenerator) -> String {
        if rng.next(upperBound: UInt(5)) == 0 {
            return ""
        }
        var result = ""
        for _ in 0..<(rng.next(upperBound: UInt(8)) + 1) {
            result += stringPieces[Int(rng.next(upperBound: UInt(stringPieces.count)))]
        }
        return result
    }

    static func bytes(using rng: inout some RandomNumberGenerator) -> [UInt8] {
        let count = rng.next(upperBound: UInt(5)) == 0 ? 0 : Int(rng.next(upperBound: UInt(40)))
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    static func integer<T: FixedWidthInteger>(using rng: inout some RandomNumberGenerator) -> T {
        switch rng.next(upperBound: UInt(8)) {
        case 0: return 0
        case 1: return T.max
        case 2: return T.min
        case 3: return T(truncatingIfNeeded: -1)
        case 4: return T(truncatingIfNeeded: rng.next(upperBound: UInt64(200)))
        default: return T(truncatingIfNeeded: rng.next())
        }
    }

    static func int32(using rng: inout some RandomNumberGenerator) -> Int32 { integer(using: &rng) }
    static func int64(using rng: inout some RandomNumberGenerator) -> Int64 { integer(using: &rng) }
    static func uint32(using rng: inout some RandomNumberGenerator) -> UInt32 { integer(using: &rng) }
    static func uint64(using rng: inout some RandomNumberGenerator) -> UInt64 { integer(using: &rng) }

    static func double(using rng: inout some RandomNumberGenerator) -> Double {
        switch rng.next(upperBound: UInt(6)) {
        case 0: return 0
        case 1: return [.infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -0.0][Int(rng.next(upperBound: UInt(5)))]
        case 2: return Double(Int32(truncatingIfNeeded: rng.next())) / 8
        default:
            let value = Double(bitPattern: rng.next())
            return value.isNaN ? 1.5 : value
        }
    }

    static func float(using rng: inout some RandomNumberGenerator) -> Float {
        switch rng.next(upperBound: UInt(6)) {
        case 0: return 0
        case 1: return [.infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -0.0][Int(rng.next(upperBound: UInt(5)))]
        case 2: return Float(Int16(truncatingIfNeeded: rng.next())) / 4
        default:
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            return value.isNaN ? -2.25 : value
        }
    }

    /// A declared value most of the time, otherwise any Int32 (an unrecognized value when
    /// it is not declared).
    static func enumRawValue(using rng: inout some RandomNumberGenerator, known: [Int32]) -> Int32 {
        if rng.next(upperBound: UInt(4)) == 0 {
            return integer(using: &rng)
        }
        return known[Int(rng.next(upperBound: UInt(known.count)))]
    }
}
