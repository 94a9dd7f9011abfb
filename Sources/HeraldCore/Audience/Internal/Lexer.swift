/// Splits an audience filter into tokens.
///
/// Works on UTF-8 bytes. Positions carry the byte offset and a line and column; the
/// column counts Unicode scalars from the start of the line, from 1.
struct Lexer {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    init(_ source: String) {
        self.bytes = Array(source.utf8)
    }

    /// Returns every token, the last being `.end`.
    mutating func tokenize() throws(AudienceFilterError) -> [Token] {
        var tokens: [Token] = []
        while true {
            let token = try next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    /// The last computed column and its byte index, so that computing positions stays
    /// linear in the input however long its lines are.
    private var columnCache = (index: 0, column: 1)

    private var position: SourcePosition {
        mutating get {
            var (i, column) = columnCache
            if i < lineStart || i > index { (i, column) = (lineStart, 1) }
            while i < index {
                if bytes[i] & 0xC0 != 0x80 { column += 1 }
                i += 1
            }
            columnCache = (index, column)
            return SourcePosition(offset: index, line: line, column: column)
        }
    }

    private func error(_ reason: String, at position: SourcePosition) -> AudienceFilterError {
        AudienceFilterError(reason: reason, line: position.line, column: position.column, offset: position.offset)
    }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        index + ahead < bytes.count ? bytes[index + ahead] : nil
    }

    private mutating func skipWhitespace() {
        while let b = peek() {
            switch b {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
            default:
                return
            }
        }
    }

    private mutating func next() throws(AudienceFilterError) -> Token {
        skipWhitespace()
        let start = position
        guard let b = peek() else { return Token(kind: .end, position: start) }
        func single(_ kind: Token.Kind, length: Int = 1) -> Token {
            index += length
            return Token(kind: kind, position: start)
        }
        switch b {
        case UInt8(ascii: "("): return single(.leftParen)
        case UInt8(ascii: ")"): return single(.rightParen)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: "="): return single(.equal)
        case UInt8(ascii: "!"):
            guard peek(1) == UInt8(ascii: "=") else { throw error("unexpected '!' (did you mean '!=' or NOT?)", at: start) }
            return single(.notEqual, length: 2)
        case UInt8(ascii: "<"):
            return peek(1) == UInt8(ascii: "=") ? single(.lessOrEqual, length: 2) : single(.less)
        case UInt8(ascii: ">"):
            return peek(1) == UInt8(ascii: "=") ? single(.greaterOrEqual, length: 2) : single(.greater)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return Token(kind: .string(try string(quote: b, start: start)), position: start)
        case UInt8(ascii: "-"):
            guard let d = peek(1), d.isASCIIDigit else { throw error("expected a digit after '-'", at: start) }
            return try number(start: start)
        case 0:
            throw error("NUL character is not allowed", at: start)
        default:
            if b.isASCIIDigit { return try number(start: start) }
            if b.isIdentifierStart { return word(start: start) }
            throw error("unexpected character '\(scalarText(at: index))'", at: start)
        }
    }

    private func scalarText(at i: Int) -> String {
        var end = i + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return String(decoding: bytes[i..<end], as: UTF8.self)
    }

    private mutating func word(start: SourcePosition) -> Token {
        let begin = index
        while let b = peek(), b.isIdentifierStart || b.isASCIIDigit || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") {
            index += 1
        }
        return Token(kind: .word(String(decoding: bytes[begin..<index], as: UTF8.self)), position: start)
    }

    private mutating func number(start: SourcePosition) throws(AudienceFilterError) -> Token {
        let begin = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        while let b = peek(), b.isASCIIDigit { index += 1 }
        if peek() == UInt8(ascii: "."), let d = peek(1), d.isASCIIDigit {
            index += 1
            while let b = peek(), b.isASCIIDigit { index += 1 }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            var look = 1
            if let s = peek(1), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { look = 2 }
            if let d = peek(look), d.isASCIIDigit {
                index += look
                while let b = peek(), b.isASCIIDigit { index += 1 }
            }
        }
        if let b = peek(), b.isIdentifierStart || b == UInt8(ascii: ".") {
            throw error("malformed number", at: start)
        }
        let text = String(decoding: bytes[begin..<index], as: UTF8.self)
        guard let value = AudienceNumber.parse(text) else {
            throw error("number '\(text)' is out of range", at: start)
        }
        return Token(kind: .number(value, text: text), position: start)
    }

    private mutating func string(quote: UInt8, start: SourcePosition) throws(AudienceFilterError) -> String {
        index += 1
        var out: [UInt8] = []
        while true {
            guard let b = peek() else { throw error("unterminated string", at: start) }
            if b == quote {
                index += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == 0 { throw error("NUL character is not allowed", at: position) }
            if b == UInt8(ascii: "\n") {
                out.append(b)
                index += 1
                line += 1
                lineStart = index
                continue
            }
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                index += 1
                continue
            }
            let escapeStart = position
            guard let e = peek(1) else { throw error("unterminated string", at: start) }
            index += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                out.append(e)
            case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
            case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
            case UInt8(ascii: "u"):
                var scalar = try hex4(escapeStart)
                if (0xD800..<0xDC00).contains(scalar) {
                    guard peek() == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate in \\u escape", at: escapeStart)
                    }
                    index += 2
                    let low = try hex4(escapeStart)
                    guard (0xDC00..<0xE000).contains(low) else {
                        throw error("unpaired surrogate in \\u escape", at: escapeStart)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw error("unpaired surrogate in \\u escape", at: escapeStart)
                }
                guard scalar != 0 else { throw error("NUL character is not allowed", at: escapeStart) }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape", at: escapeStart) }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("unknown escape '\\\(scalarText(at: index - 1))'", at: escapeStart)
            }
        }
    }

    private mutating func hex4(_ escapeStart: SourcePosition) throws(AudienceFilterError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let h = peek() else { throw error("expected 4 hex digits after \\u", at: escapeStart) }
            let digit: UInt8
            switch h {
            case 48...57: digit = h - 48
            case 65...70: digit = h - 55
            case 97...102: digit = h - 87
            default: throw error("expected 4 hex digits after \\u", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
