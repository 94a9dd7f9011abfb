/// The JSON text of a profile's tags (an array of strings) and attributes (an object of
/// strings), written and read without Foundation: these two shapes are on the hot path
/// of every upsert and listing.
enum CompactJSON {
    /// `["a","b"]`, in the given order.
    static func encode(_ strings: [String]) -> String {
        if strings.isEmpty { return "[]" }
        var out: [UInt8] = []
        out.reserveCapacity(2 + strings.reduce(0) { $0 + $1.utf8.count + 3 })
        append(strings, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `["a","b"]` (the strings in the given order) to `out`.
    static func append(_ strings: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, s) in strings.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(s, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// `{"k":"v"}`, keys sorted byte-wise.
    static func encode(_ object: [String: String]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, key) in object.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendString(object[key]!, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            case 0..<0x20:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "0"))
                out.append(hexDigit(b >> 4))
                out.append(hexDigit(b & 0xF))
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    struct DecodingError: Error, CustomStringConvertible {
        var description: String
    }

    static func decodeArray(_ text: String) throws -> [String] {
        var reader = Reader(Array(text.utf8))
        var out: [String] = []
        try reader.expect(UInt8(ascii: "["))
        if !reader.eat(UInt8(ascii: "]")) {
            repeat { out.append(try reader.string()) } while reader.eat(UInt8(ascii: ","))
            try reader.expect(UInt8(ascii: "]"))
        }
        return out
    }

    static func decodeObject(_ text: String) throws -> [String: String] {
        var reader = Reader(Array(text.utf8))
        var out: [String: String] = [:]
        try reader.expect(UInt8(ascii: "{"))
        if !reader.eat(UInt8(ascii: "}")) {
            repeat {
                let key = try reader.string()
                try reader.expect(UInt8(ascii: ":"))
                out[key] = try reader.string()
            } while reader.eat(UInt8(ascii: ","))
            try reader.expect(UInt8(ascii: "}"))
        }
        return out
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func eat(_ b: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == b else { return false }
            index += 1
            return true
        }

        mutating func expect(_ b: UInt8) throws {
            guard eat(b) else { throw DecodingError(description: "expected '\(Character(Unicode.Scalar(b)))' at \(index)") }
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw DecodingError(description: "short \\u escape") }
            var v: UInt32 = 0
            for b in bytes[index..<(index + 4)] {
                let d: UInt8
                switch b {
                case 48...57: d = b - 48
                case 65...70: d = b - 55
                case 97...102: d = b - 87
                default: throw DecodingError(description: "bad \\u escape")
                }
                v = v << 4 | UInt32(d)
            }
            index += 4
            return v
        }

        mutating func string() throws -> String {
            try expect(UInt8(ascii: "\""))
            var out: [UInt8] = []
            while index < bytes.count {
                let b = bytes[index]
                index += 1
                if b == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                guard b == UInt8(ascii: "\\") else {
                    out.append(b)
                    continue
                }
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count,
                       bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try hex4()
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw DecodingError(description: "bad \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: out.append(e)
                }
            }
            throw DecodingError(description: "unterminated string")
        }
    }
}
