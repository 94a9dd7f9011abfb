#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Derives a plain-text body from HTML: tags stripped, the contents of `script`, `style`
/// and `head` dropped, entities decoded, link targets kept as `text [url]`, block
/// elements as line breaks, whitespace collapsed.
enum HTMLText {
    static let blockTags: Set<String> = [
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "section", "article", "header", "footer", "center", "dd", "dt", "dl",
    ]
    static let skippedTags: Set<String> = ["script", "style", "head", "title"]

    static func text(fromHTML html: String) -> String {
        String(decoding: utf8(fromHTML: Array(html.utf8)), as: UTF8.self)
    }

    /// ``text(fromHTML:)`` from and to UTF-8 bytes (valid UTF-8 in, valid UTF-8 out).
    static func utf8(fromHTML bytes: [UInt8]) -> [UInt8] {
        // Works on the UTF-8 bytes: every byte the parser looks for is ASCII, and no byte
        // of a multi-byte sequence is ASCII.
        var output = TextCollector(capacity: bytes.count)
        var skipping: String?
        var linkStack: [String?] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<") {
                // Comments, doctype and CDATA are dropped.
                if matches(bytes, at: i, commentOpen) {
                    i = find(bytes, commentClose, from: i + 4).map { $0 + 3 } ?? bytes.count
                    continue
                }
                guard let end = tagEnd(bytes, from: i + 1) else {
                    if skipping == nil { output.append(text: "<") }
                    i += 1
                    continue
                }
                let tag = Tag.parse(bytes[(i + 1)..<end])
                i = end + 1
                if let skipped = skipping {
                    if tag.closing && tag.name == skipped { skipping = nil }
                    continue
                }
                if skippedTags.contains(tag.name) && !tag.closing && !tag.selfClosing {
                    skipping = tag.name
                    continue
                }
                if tag.name == "a" {
                    if tag.closing {
                        if let href = linkStack.popLast() ?? nil { output.closeLink(href: href) }
                    } else {
                        let href = tag.attribute("href").map(decodeEntities)
                        let usable = href.flatMap { $0.isEmpty || $0.hasPrefix("#") || $0.hasASCIIPrefixIgnoringCase("javascript:") ? nil : $0 }
                        linkStack.append(usable)
                        output.openLink()
                    }
                } else if tag.name == "img", !tag.closing, let alt = tag.attribute("alt"), !alt.isEmpty {
                    output.append(text: decodeEntities(alt))
                } else if blockTags.contains(tag.name) {
                    output.lineBreak(paragraph: tag.name != "br" && tag.name != "li" && tag.name != "tr" && tag.name != "div")
                    if tag.name == "li" && !tag.closing { output.append(text: "- ") }
                } else if tag.name == "td" || tag.name == "th" {
                    output.space()
                }
                continue
            }
            // A run of text up to the next "<", read in place (no slice, no copy).
            i = bytes.withUnsafeBufferPointer { all in
                let rest = UnsafeBufferPointer(rebasing: all[i...])
                let run = UnsafeBufferPointer(rebasing: rest[..<(rest.firstIndex(of: UInt8(ascii: "<")) ?? rest.endIndex)])
                if skipping == nil {
                    if run.contains(UInt8(ascii: "&")) {
                        output.append(text: decodeEntities(String(decoding: run, as: UTF8.self)))
                    } else {
                        // No entity: the bytes go in as they are (the common case, no String made).
                        output.append(utf8: run)
                    }
                }
                return i + run.count
            }
        }
        return output.result()
    }

    private static let commentOpen = Array("<!--".utf8)
    private static let commentClose = Array("-->".utf8)

    // MARK: - Tags

    struct Tag {
        var name: String
        var closing: Bool
        var selfClosing: Bool
        var body: String
        /// The body's bytes when the tag is plain ASCII without CRLF (then a byte is a
        /// Character and a scalar, and the tag is parsed without building Strings).
        var asciiBody: ArraySlice<UInt8>?

        /// The tag between `<` and `>`.
        static func parse(_ raw: ArraySlice<UInt8>) -> Tag {
            guard raw.allSatisfy({ $0 < 0x80 }), !containsCRLF(raw) else {
                return Tag(String(decoding: raw, as: UTF8.self))
            }
            var s = raw
            let closing = s.first == UInt8(ascii: "/")
            if closing { s = s.dropFirst() }
            let nameEnd = s.firstIndex { isNameEnd($0) } ?? s.endIndex
            return Tag(
                name: String(decoding: s[..<nameEnd].map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self),
                closing: closing, selfClosing: s.last == UInt8(ascii: "/"), body: "", asciiBody: s[nameEnd...]
            )
        }

        private init(name: String, closing: Bool, selfClosing: Bool, body: String, asciiBody: ArraySlice<UInt8>?) {
            self.name = name
            self.closing = closing
            self.selfClosing = selfClosing
            self.body = body
            self.asciiBody = asciiBody
        }

        private static func containsCRLF(_ raw: ArraySlice<UInt8>) -> Bool {
            var previous: UInt8 = 0
            for b in raw {
                if previous == 13 && b == 10 { return true }
                previous = b
            }
            return false
        }

        private static func isNameEnd(_ b: UInt8) -> Bool {
            b == 32 || b == 9 || b == 10 || b == 13 || b == UInt8(ascii: "/")
        }

        /// ``attribute(_:)`` over an ASCII body: the same steps on bytes.
        private static func attribute(_ wanted: String, in chars: ArraySlice<UInt8>) -> String? {
            func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }
            let wantedBytes = Array(wanted.utf8)
            var i = chars.startIndex
            let n = chars.endIndex
            while i < n {
                while i < n && (isSpace(chars[i]) || chars[i] == UInt8(ascii: "/")) { i += 1 }
                let nameStart = i
                while i < n && chars[i] != UInt8(ascii: "=") && !isSpace(chars[i]) && chars[i] != UInt8(ascii: "/") { i += 1 }
                let nameMatches = i - nameStart == wantedBytes.count
                    && zip(chars[nameStart..<i], wantedBytes).allSatisfy { ($0 >= 65 && $0 <= 90 ? $0 + 32 : $0) == $1 }
                while i < n && isSpace(chars[i]) { i += 1 }
                var value: ArraySlice<UInt8> = []
                if i < n && chars[i] == UInt8(ascii: "=") {
                    i += 1
                    while i < n && isSpace(chars[i]) { i += 1 }
                    if i < n && (chars[i] == UInt8(ascii: "\"") || chars[i] == UInt8(ascii: "'")) {
                        let quote = chars[i]
                        let start = i + 1
                        i = start
                        while i < n && chars[i] != quote { i += 1 }
                        value = chars[start..<min(i, n)]
                        i += 1
                    } else {
                        let start = i
                        while i < n && !isSpace(chars[i]) { i += 1 }
                        value = chars[start..<i]
                    }
                }
                if nameMatches { return String(decoding: value, as: UTF8.self).trimmingSpaces() }
                if i == nameStart { i += 1 }
            }
            return nil
        }

        init(_ raw: String) {
            var s = Substring(raw)
            closing = s.first == "/"
            if closing { s = s.dropFirst() }
            selfClosing = s.last == "/"
            let nameEnd = s.firstIndex { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "/" } ?? s.endIndex
            name = s[..<nameEnd].lowercased()
            body = String(s[nameEnd...])
        }

        /// The value of an attribute (quoted or not), or `nil`.
        func attribute(_ wanted: String) -> String? {
            if let asciiBody { return Self.attribute(wanted, in: asciiBody) }
            let chars = Array(body.unicodeScalars)
            var i = 0
            while i < chars.count {
                while i < chars.count && (chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || chars[i] == "\r" || chars[i] == "/") { i += 1 }
                let nameStart = i
                while i < chars.count && chars[i] != "=" && chars[i] != " " && chars[i] != "\t" && chars[i] != "\n" && chars[i] != "\r" && chars[i] != "/" { i += 1 }
                let name = String(String.UnicodeScalarView(chars[nameStart..<i])).lowercased()
                while i < chars.count && (chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || chars[i] == "\r") { i += 1 }
                var value = ""
                if i < chars.count && chars[i] == "=" {
                    i += 1
                    while i < chars.count && (chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || chars[i] == "\r") { i += 1 }
                    if i < chars.count && (chars[i] == "\"" || chars[i] == "'") {
                        let quote = chars[i]
                        let start = i + 1
                        i = start
                        while i < chars.count && chars[i] != quote { i += 1 }
                        value = String(String.UnicodeScalarView(chars[start..<min(i, chars.count)]))
                        i += 1
                    } else {
                        let start = i
                        while i < chars.count && chars[i] != " " && chars[i] != "\t" && chars[i] != "\n" && chars[i] != "\r" { i += 1 }
                        value = String(String.UnicodeScalarView(chars[start..<i]))
                    }
                }
                if name == wanted { return value.trimmingSpaces() }
                if i == nameStart { i += 1 }
            }
            return nil
        }
    }

    /// The index of the `>` that ends a tag opened before `from`, honouring quotes; `nil`
    /// when the `<` does not start a tag (`a < b`).
    private static func tagEnd(_ s: [UInt8], from: Int) -> Int? {
        guard from < s.count else { return nil }
        let first = s[from]
        let startsTag: Bool
        switch first {
        case UInt8(ascii: "/"), UInt8(ascii: "!"), UInt8(ascii: "?"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            startsTag = true
        case 0x80...:
            // A non-ASCII letter may start a tag name: decode the scalar.
            var iterator = s[from...].makeIterator()
            var decoder = UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) { startsTag = scalar.properties.isAlphabetic } else { startsTag = false }
        default:
            startsTag = false
        }
        guard startsTag else { return nil }
        var quote: UInt8?
        var i = from
        while i < s.count {
            let c = s[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
            } else if c == UInt8(ascii: ">") {
                return i
            }
            i += 1
        }
        return nil
    }

    private static func matches(_ s: [UInt8], at i: Int, _ pattern: [UInt8]) -> Bool {
        guard i + pattern.count <= s.count else { return false }
        for k in 0..<pattern.count where s[i + k] != pattern[k] { return false }
        return true
    }

    private static func find(_ s: [UInt8], _ pattern: [UInt8], from: Int) -> Int? {
        var i = from
        while i < s.count {
            if matches(s, at: i, pattern) { return i }
            i += 1
        }
        return nil
    }

    // MARK: - Entities

    static func decodeEntities(_ s: String) -> String {
        var bytes = s
        let hasAmpersand = bytes.withUTF8 { utf8 in
            guard let base = utf8.baseAddress else { return false }
            return memchr(base, Int32(UInt8(ascii: "&")), utf8.count) != nil
        }
        guard hasAmpersand else { return s }
        var out = String.UnicodeScalarView()
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if scalars[i] == "&", let semicolon = scalars[(i + 1)..<min(scalars.count, i + 34)].firstIndex(of: ";") {
                let name = String(String.UnicodeScalarView(scalars[(i + 1)..<semicolon]))
                if let decoded = entity(name) {
                    out.append(contentsOf: decoded.unicodeScalars)
                    i = semicolon + 1
                    continue
                }
            }
            out.append(scalars[i])
            i += 1
        }
        return String(out)
    }

    private static func entity(_ name: String) -> String? {
        if name.hasPrefix("#") {
            let digits = name.dropFirst()
            let value: UInt32? =
                digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value, let scalar = Unicode.Scalar(value), value != 0 else { return nil }
            return String(scalar)
        }
        return namedEntities[name]
    }

    private static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
        "copy": "©", "reg": "®", "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–",
        "lsquo": "‘", "rsquo": "’", "sbquo": "‚", "ldquo": "“", "rdquo": "”", "bdquo": "„",
        "laquo": "«", "raquo": "»", "bull": "•", "middot": "·", "euro": "€", "pound": "£",
        "yen": "¥", "cent": "¢", "sect": "§", "deg": "°", "plusmn": "±", "times": "×",
        "divide": "÷", "para": "¶", "shy": "\u{AD}", "zwnj": "\u{200C}", "zwj": "\u{200D}",
        "eacute": "é", "egrave": "è", "ecirc": "ê", "euml": "ë", "aacute": "á", "agrave": "à",
        "acirc": "â", "auml": "ä", "aring": "å", "aelig": "æ", "ccedil": "ç", "iacute": "í",
        "igrave": "ì", "icirc": "î", "iuml": "ï", "ntilde": "ñ", "oacute": "ó", "ograve": "ò",
        "ocirc": "ô", "ouml": "ö", "oslash": "ø", "uacute": "ú", "ugrave": "ù", "ucirc": "û",
        "uuml": "ü", "szlig": "ß", "Eacute": "É", "Egrave": "È", "Aring": "Å", "Auml": "Ä",
        "Ouml": "Ö", "Uuml": "Ü", "Oslash": "Ø", "AElig": "Æ", "Ccedil": "Ç", "Ntilde": "Ñ",
    ]
}

/// Accumulates text (UTF-8 bytes) with collapsed whitespace and at most one blank line
/// in a row.
private struct TextCollector {
    private var out: [UInt8] = []
    private var pendingSpace = false
    private var pendingBreaks = 0
    private var linkTextStart: [Int] = []

    init(capacity: Int) {
        out.reserveCapacity(capacity)
    }

    mutating func append(text: String) {
        // The same steps as for each of its scalars, on its bytes.
        var text = text
        text.withUTF8 { append(utf8: $0) }
    }

    /// The same as ``append(text:)`` for valid UTF-8 bytes, ASCII without decoding.
    mutating func append(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                if b == 0x20 || (0x09...0x0D).contains(b) {
                    pendingSpace = true
                    i += 1
                } else {
                    // A run of visible ASCII goes in at once, after what was pending.
                    let start = i
                    i += 1
                    while i < n, bytes[i] > 0x20, bytes[i] < 0x80 { i += 1 }
                    flushPending()
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                }
                continue
            }
            // A multi-byte scalar (its length from the lead byte; a run of valid UTF-8
            // cut at ASCII bytes holds whole scalars).
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
            let end = min(i + length, n)
            for scalar in String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self).unicodeScalars { append(scalar) }
            i = end
        }
    }

    private mutating func append(_ scalar: Unicode.Scalar) {
        if Self.isWhitespace(scalar) {
            pendingSpace = true
            return
        }
        flushPending()
        if scalar.isASCII {
            out.append(UInt8(scalar.value))
        } else if scalar == "\u{A0}" {
            out.append(UInt8(ascii: " "))
        } else {
            UTF8.encode(scalar) { out.append($0) }
        }
    }

    /// Writes the line breaks or the space waiting before the next visible character.
    private mutating func flushPending() {
        if pendingBreaks > 0 {
            if !out.isEmpty { out.append(contentsOf: repeatElement(UInt8(ascii: "\n"), count: pendingBreaks)) }
            pendingBreaks = 0
            pendingSpace = false
        } else if pendingSpace {
            if !out.isEmpty { out.append(UInt8(ascii: " ")) }
            pendingSpace = false
        }
    }

    /// White space other than the no-break space (kept, as a plain space).
    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09...0x0D: true
        case 0..<0x80, 0xA0: false
        default: scalar.properties.isWhitespace
        }
    }

    mutating func space() { pendingSpace = true }

    mutating func lineBreak(paragraph: Bool) {
        pendingBreaks = max(pendingBreaks, paragraph ? 2 : 1)
    }

    mutating func openLink() {
        linkTextStart.append(out.count)
    }

    mutating func closeLink(href: String) {
        let offset = min(linkTextStart.popLast() ?? out.count, out.count)
        let linkText: String
        if out[offset...].allSatisfy({ $0 < 0x80 }) {
            // ASCII (the common case): a character is a byte, trimmed without building a String first.
            var start = offset
            var end = out.count
            while start < end, out[start] == 0x20 || (0x09...0x0D).contains(out[start]) { start += 1 }
            while end > start, out[end - 1] == 0x20 || (0x09...0x0D).contains(out[end - 1]) { end -= 1 }
            linkText = String(decoding: out[start..<end], as: UTF8.self)
        } else {
            linkText = String(decoding: out[offset...], as: UTF8.self).trimmingCharacters()
        }
        if linkText == href || "mailto:" + linkText == href { return }
        append(text: linkText.isEmpty ? href : " [\(href)]")
    }

    func result() -> [UInt8] { out }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
