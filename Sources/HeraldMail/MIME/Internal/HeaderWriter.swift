internal import struct Foundation.Date

/// Writes header fields: folding (lines of at most 78 characters where the content
/// allows, never more than 998) and RFC 2047 encoded-words for non-ASCII text.
struct HeaderWriter {
    /// The line length that folding aims for (RFC 5322 §2.1.1 "SHOULD").
    static let foldAt = 78
    /// The longest encoded-word (RFC 2047 §2).
    static let maxEncodedWord = 75

    private(set) var bytes: [UInt8] = []
    /// Whether encoded-words are made by ``encodedWords(_:firstCapacity:phrase:)`` (the
    /// reference writer) rather than ``encodedWordsQuickly(_:firstCapacity:phrase:)``.
    private let referenceWords: Bool

    init(capacity: Int = 1024, referenceWords: Bool = false) {
        self.referenceWords = referenceWords
        bytes.reserveCapacity(capacity)
    }

    /// A field whose value is already safe ASCII without line breaks (`MIME-Version`).
    mutating func raw(_ name: String, _ value: String) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: ": ".utf8)
        bytes.append(contentsOf: value.utf8)
        crlf()
    }

    /// Bytes written as they are: fields written once by another writer (``MailComposer``).
    mutating func append(_ written: [UInt8]) {
        bytes.append(contentsOf: written)
    }

    /// `raw(name, value)` for a value given as bytes (safe ASCII without line breaks).
    mutating func raw(_ name: StaticString, bytes value: UnsafeBufferPointer<UInt8>) {
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: ":"))
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: value)
        crlf()
    }

    /// `raw("Date", RFC5322Date.format(date))` without the `String`.
    mutating func date(_ date: Date) {
        bytes.append(contentsOf: "Date: ".utf8)
        RFC5322Date.append(date, to: &bytes)
        crlf()
    }

    /// `raw("Message-ID", sanitizeASCII(id.description))`, the id's bytes copied when they
    /// are printable ASCII (as the stable ids are).
    mutating func messageID(_ id: MessageID) {
        if !bracketed("Message-ID: <", id.value) { raw("Message-ID", Self.sanitizeASCII(id.description)) }
    }

    /// `list("List-Unsubscribe", ["<url>"])` for a URL of printable ASCII, else that call.
    mutating func listUnsubscribe(url: String) {
        if !bracketed("List-Unsubscribe: <", url) { list("List-Unsubscribe", ["<\(url)>"]) }
    }

    /// Writes `head` (the field name, ": <"), `value` and ">" CRLF when `value` is printable
    /// ASCII; otherwise writes nothing and returns `false`.
    private mutating func bracketed(_ head: StaticString, _ value: String) -> Bool {
        var value = value
        return value.withUTF8 { utf8 in
            guard !utf8.contains(where: { $0 < 32 || $0 >= 127 }) else { return false }
            head.withUTF8Buffer { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: ">"))
            crlf()
            return true
        }
    }

    /// `Content-Type: multipart/alternative; boundary="…"`.
    mutating func contentType(boundary: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: "Content-Type: multipart/alternative; boundary=\"".utf8)
        bytes.append(contentsOf: boundary)
        bytes.append(UInt8(ascii: "\""))
        crlf()
    }

    /// A field of ASCII items (URLs, ids) joined by `separator`, folded between items.
    mutating func list(_ name: String, _ items: [String], separator: String = ",") {
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: ":".utf8)
        var column = name.utf8.count + 1
        for (index, item) in items.enumerated() {
            let clean = Self.sanitizeASCII(item)
            let tail = index == items.count - 1 ? "" : separator
            let width = 1 + clean.utf8.count + tail.utf8.count
            if index > 0 && column + width > Self.foldAt {
                crlf()
                column = 0
            }
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: clean.utf8)
            bytes.append(contentsOf: tail.utf8)
            column += width
        }
        crlf()
    }

    /// An unstructured field (`Subject`, extra headers): folded at spaces when plain
    /// ASCII with short words; otherwise a sequence of encoded-words, one per line.
    mutating func unstructured(_ name: String, _ value: String) {
        if !referenceWords {
            var value = value
            if value.withUTF8({ plainUnstructured(name, $0) }) { return }
        }
        let clean = Self.sanitize(value)
        let prefix = name.utf8.count + 2
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: ":".utf8)
        if Self.needsEncoding(clean) {
            let firstCapacity = max(20, min(Self.maxEncodedWord, Self.foldAt - prefix))
            let words = referenceWords
                ? Self.encodedWords(clean, firstCapacity: firstCapacity, phrase: false)
                : Self.encodedWordsQuickly(clean, firstCapacity: firstCapacity, phrase: false)
            for (index, word) in words.enumerated() {
                if index > 0 { crlf() }
                bytes.append(UInt8(ascii: " "))
                bytes.append(contentsOf: word.utf8)
            }
            crlf()
            return
        }
        bytes.append(UInt8(ascii: " "))
        var plain = clean
        plain.withUTF8 { foldWords($0, column: prefix) }
    }

    /// ``unstructured(_:_:)`` of a value that needs neither sanitizing nor encoding
    /// (printable ASCII and spaces, no `=?`, no word too long to fold), written from its
    /// bytes; false (nothing written) for any other value.
    private mutating func plainUnstructured(_ name: String, _ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        var previous: UInt8 = 0
        var word = 0
        for b in utf8 {
            if b < 32 || b >= 127 || (previous == UInt8(ascii: "=") && b == UInt8(ascii: "?")) { return false }
            if b == UInt8(ascii: " ") {
                word = 0
            } else {
                word += 1
                if word > Self.foldAt - 2 { return false }
            }
            previous = b
        }
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(UInt8(ascii: " "))
        let column = name.utf8.count + 2
        if column + utf8.count <= Self.foldAt {
            // One line: the words and their single spaces are the value's bytes.
            bytes.append(contentsOf: utf8)
            crlf()
            return true
        }
        foldWords(utf8, column: column)
        return true
    }

    /// An unstructured value's words between single spaces (empty ones too), plain
    /// ASCII, folded before a word that would pass ``foldAt``; the value starts at
    /// `column` (after the field name, ":" and a space); ends the line.
    private mutating func foldWords(_ utf8: UnsafeBufferPointer<UInt8>, column valueColumn: Int) {
        var column = valueColumn
        let n = utf8.count
        var first = true
        var start = 0
        while true {
            var end = start
            while end < n && utf8[end] != UInt8(ascii: " ") { end += 1 }
            let length = end - start
            if !first {
                if length > 0 && column + 1 + length > Self.foldAt {
                    crlf()
                    column = 0
                }
                bytes.append(UInt8(ascii: " "))
                column += 1
            }
            first = false
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<end]))
            column += length
            guard end < n else { break }
            start = end + 1
        }
        crlf()
    }

    /// An address field (`From`, `To`, `Reply-To`): `"Name" <address>`. An ASCII name
    /// is one quoted-string. A name with non-ASCII text is written word by word the way
    /// Python's `email` package does: plain ASCII words as atoms (or quoted-strings when
    /// they hold specials), each run of non-ASCII words as encoded-words with its inner
    /// spaces encoded, so that decoders that drop the space between adjacent
    /// encoded-words (RFC 2047 §6.2) and decoders that keep it agree. Whitespace runs in
    /// such a name become single spaces.
    mutating func address(_ name: String, _ mailbox: MailAddress) {
        if !referenceWords && (mailbox.name ?? "").isEmpty {
            // No display name and an address of printable ASCII without spaces and angle
            // brackets (the usual recipient): written as it is.
            var address = mailbox.address
            let plain = address.withUTF8 { utf8 -> Bool in
                guard !utf8.contains(where: { $0 <= 32 || $0 >= 127 || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") })
                else { return false }
                bytes.append(contentsOf: name.utf8)
                bytes.append(UInt8(ascii: ":"))
                bytes.append(UInt8(ascii: " "))
                bytes.append(contentsOf: utf8)
                crlf()
                return true
            }
            if plain { return }
        }
        var address = Self.sanitizeASCII(mailbox.address)
        if address.utf8.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }) {
            address = address.filter { $0 != " " && $0 != "<" && $0 != ">" }
        }
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: ":".utf8)
        let display = Self.sanitize(mailbox.name ?? "").trimmingSpaces()
        guard !display.isEmpty else {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: address.utf8)
            crlf()
            return
        }
        var column = name.utf8.count + 1
        for piece in Self.phrasePieces(display, firstCapacity: max(20, min(Self.maxEncodedWord, Self.foldAt - column - 1))) {
            if column > name.utf8.count + 1 && column + 1 + piece.utf8.count > Self.foldAt {
                crlf()
                column = 0
            }
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: piece.utf8)
            column += 1 + piece.utf8.count
        }
        if column + 3 + address.utf8.count > Self.foldAt { crlf() }
        bytes.append(contentsOf: " <".utf8)
        bytes.append(contentsOf: address.utf8)
        bytes.append(UInt8(ascii: ">"))
        crlf()
    }

    /// The pieces of a display name, to be joined by single spaces (or folds).
    static func phrasePieces(_ display: String, firstCapacity: Int) -> [String] {
        if display.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
            return [quoted(display)]
        }
        var pieces: [String] = []
        var run: [Substring] = []
        func flushRun() {
            guard !run.isEmpty else { return }
            pieces += encodedWords(run.joined(separator: " "), firstCapacity: pieces.isEmpty ? firstCapacity : maxEncodedWord, phrase: true)
            run.removeAll()
        }
        for word in display.split(separator: " ") {
            if word.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) && !word.contains("=?") {
                flushRun()
                pieces.append(word.utf8.allSatisfy(isAtext) ? String(word) : quoted(String(word)))
            } else {
                run.append(word)
            }
        }
        flushRun()
        return pieces
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for ch in s {
            if ch == "\"" || ch == "\\" { out.append("\\") }
            out.append(ch)
        }
        out.append("\"")
        return out
    }

    private static func isAtext(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-/=?^_`{|}~".utf8.contains(b)
        }
    }

    /// The blank line that ends the header section.
    mutating func end() { crlf() }

    private mutating func crlf() {
        bytes.append(13)
        bytes.append(10)
    }

    // MARK: - Encoding

    /// CR, LF and tabs become spaces; other control characters are dropped.
    static func sanitize(_ s: String) -> String {
        // Nothing to change without a control character (the bytes of a multi-byte scalar are >= 0x80).
        if !s.utf8.contains(where: { $0 < 32 || $0 == 127 }) { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 9, 10, 13: out.append(" ")
            case 0..<32, 127: continue
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// ``sanitize(_:)`` and drops everything that is not printable ASCII.
    static func sanitizeASCII(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) { return s }
        return String(String.UnicodeScalarView(sanitize(s).unicodeScalars.filter { $0.value >= 32 && $0.value < 127 }))
    }

    /// Whether an unstructured value must be encoded: non-ASCII text, something that
    /// looks like an encoded-word, or a word too long to fold.
    static func needsEncoding(_ s: String) -> Bool {
        // One pass over the bytes: non-ASCII, "=?", or a run of more than 76 non-spaces.
        var previous: UInt8 = 0
        var word = 0
        for b in s.utf8 {
            if b >= 127 || (previous == UInt8(ascii: "=") && b == UInt8(ascii: "?")) { return true }
            if b == UInt8(ascii: " ") {
                word = 0
            } else {
                word += 1
                if word > foldAt - 2 { return true }
            }
            previous = b
        }
        return false
    }

    /// Splits `text` into UTF-8 encoded-words of at most 75 characters (the first at most
    /// `firstCapacity`), never splitting a character (a grapheme where it fits, else a
    /// scalar). Uses Q when it is shorter than B; in a phrase (display name) Q may only
    /// carry letters, digits and `!*+-/`.
    static func encodedWords(_ text: String, firstCapacity: Int, phrase: Bool) -> [String] {
        let utf8 = Array(text.utf8)
        let qLength = utf8.reduce(0) { $0 + (qSafe($1, phrase: phrase) ? 1 : 3) }
        let useQ = qLength < Base64.encodedLength(utf8.count)
        // Units: characters, or their scalars when one is too long for a word.
        var units: [[UInt8]] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if bytes.count <= 15 {
                units.append(bytes)
            } else {
                for scalar in character.unicodeScalars { units.append(Array(String(scalar).utf8)) }
            }
        }
        let overhead = 12  // "=?UTF-8?X?" + "?="
        var words: [String] = []
        var current: [UInt8] = []
        var capacity = firstCapacity - overhead
        func encodedSize(_ bytes: [UInt8]) -> Int {
            useQ ? bytes.reduce(0) { $0 + (qSafe($1, phrase: phrase) ? 1 : 3) } : Base64.encodedLength(bytes.count)
        }
        func flush() {
            guard !current.isEmpty else { return }
            var word = Array("=?UTF-8?".utf8) + (useQ ? Array("Q?".utf8) : Array("B?".utf8))
            if useQ {
                for b in current {
                    if b == 32 {
                        word.append(UInt8(ascii: "_"))
                    } else if qSafe(b, phrase: phrase) {
                        word.append(b)
                    } else {
                        word.append(contentsOf: "=\(hexByte(b))".utf8)
                    }
                }
            } else {
                Base64.encode(current, into: &word)
            }
            word.append(contentsOf: "?=".utf8)
            words.append(String(decoding: word, as: UTF8.self))
            current.removeAll(keepingCapacity: true)
            capacity = maxEncodedWord - overhead
        }
        for unit in units {
            if !current.isEmpty && encodedSize(current + unit) > capacity { flush() }
            current.append(contentsOf: unit)
        }
        flush()
        return words
    }

    /// A byte that Q encoding writes as itself (a space is written as `_`).
    static func qSafe(_ b: UInt8, phrase: Bool) -> Bool {
        switch b {
        case 32: return true
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"):
            return true
        case 33...126:
            return !phrase && b != UInt8(ascii: "=") && b != UInt8(ascii: "?") && b != UInt8(ascii: "_")
                && b != UInt8(ascii: "\"") && b != UInt8(ascii: "(") && b != UInt8(ascii: ")")
        default:
            return false
        }
    }

    private static func hexByte(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 0x0F)]])
    }
}

extension String {
    /// The string without leading and trailing spaces.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
