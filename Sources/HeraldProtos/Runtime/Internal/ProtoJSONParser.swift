/// A recursive-descent JSON parser over UTF-8 bytes.
struct ProtoJSONParser {
    private let bytes: [UInt8]
    private var offset = 0
    private var depth = 0
    private static let maxDepth = 256

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(ProtoJSONError) -> ProtoJSON {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if offset < bytes.count {
            throw error("unexpected data after the JSON value")
        }
        return value
    }

    private func error(_ message: String) -> ProtoJSONError {
        ProtoJSONError("invalid JSON at byte \(offset): \(message)")
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(ProtoJSONError) -> ProtoJSON {
        guard offset < bytes.count else { throw error("unexpected end of input") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(ProtoJSONError) {
        let expected = literal.utf8
        guard bytes.count - offset >= expected.count, bytes[offset..<offset + expected.count].elementsEqual(expected) else {
            throw error("invalid literal")
        }
        offset += expected.count
    }

    private mutating func enter() throws(ProtoJSONError) {
        depth += 1
        if depth > Self.maxDepth { throw error("nested too deeply") }
    }

    private mutating func parseObject() throws(ProtoJSONError) -> ProtoJSON {
        try enter()
        offset += 1
        var members: [ProtoJSON.Member] = []
        var keys = Set<String>()
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
            offset += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let key = try parseString()
            guard keys.insert(key).inserted else { throw error("duplicate member \"\(key)\"") }
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw error("expected ':'") }
            offset += 1
            skipWhitespace()
            members.append(ProtoJSON.Member(key, try parseValue()))
            skipWhitespace()
            guard offset < bytes.count else { throw error("unterminated object") }
            if bytes[offset] == UInt8(ascii: ",") {
                offset += 1
                continue
            }
            guard bytes[offset] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
            offset += 1
            depth -= 1
            return .object(members)
        }
    }

    private mutating func parseArray() throws(ProtoJSONError) -> ProtoJSON {
        try enter()
        offset += 1
        var elements: [ProtoJSON] = []
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard offset < bytes.count else { throw error("unterminated array") }
            if bytes[offset] == UInt8(ascii: ",") {
                offset += 1
                continue
            }
            guard bytes[offset] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
            offset += 1
            depth -= 1
            return .array(elements)
        }
    }

    private mutating func parseNumber() throws(ProtoJSONError) -> String {
        let start = offset
        guard let end = ProtoJSONParser.numberEnd(bytes, from: offset) else { throw error("invalid number") }
        offset = end
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Where the JSON number starting at `start` ends, or nil when it is not one.
    static func numberEnd(_ bytes: some RandomAccessCollection<UInt8>, from start: some BinaryInteger) -> Int? {
        var i = Int(start)
        let base = bytes.startIndex
        func at(_ i: Int) -> UInt8? { i < bytes.count ? bytes[bytes.index(base, offsetBy: i)] : nil }
        func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        if at(i) == UInt8(ascii: "-") { i += 1 }
        if at(i) == UInt8(ascii: "0") {
            i += 1
        } else if isDigit(at(i)) {
            while isDigit(at(i)) { i += 1 }
        } else {
            return nil
        }
        if at(i) == UInt8(ascii: ".") {
            i += 1
            guard isDigit(at(i)) else { return nil }
            while isDigit(at(i)) { i += 1 }
        }
        if at(i) == UInt8(ascii: "e") || at(i) == UInt8(ascii: "E") {
            i += 1
            if at(i) == UInt8(ascii: "+") || at(i) == UInt8(ascii: "-") { i += 1 }
            guard isDigit(at(i)) else { return nil }
            while isDigit(at(i)) { i += 1 }
        }
        return i
    }

    private mutating func parseString() throws(ProtoJSONError) -> String {
        offset += 1
        var output: [UInt8] = []
        while true {
            guard offset < bytes.count else { throw error("unterminated string") }
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                guard let string = String(validating: output, as: UTF8.self) else {
                    throw error("string is not valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                offset += 1
                guard offset < bytes.count else { throw error("unterminated string") }
                let escape = bytes[offset]
                offset += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard bytes.count - offset >= 2, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                            throw error("lone surrogate")
                        }
                        offset += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw error("lone surrogate")
                    }
                    output.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                default:
                    throw error("invalid escape")
                }
            case 0..<0x20:
                throw error("control character in string")
            default:
                output.append(byte)
                offset += 1
            }
        }
    }

    private mutating func parseHex4() throws(ProtoJSONError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw error("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }
}
