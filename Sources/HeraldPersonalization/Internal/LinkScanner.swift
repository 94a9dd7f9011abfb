import HeraldCore

/// Finds the `href` attributes of an HTML template and rewrites the tracked ones.
struct LinkScanner {
    /// One `href` value: its byte range in the template and where it starts.
    struct Found {
        var range: Range<Int>
        var value: String
        var line: Int
        var column: Int
    }

    let bytes: [UInt8]

    init(_ source: String) {
        bytes = Array(source.utf8)
    }

    /// Every `href="…"`, `href='…'` or unquoted `href=…` value, in order.
    func links() -> [Found] {
        var found: [Found] = []
        var position = SourcePosition(bytes)
        var i = 0
        let n = bytes.count
        while i + 4 < n {
            defer { i += 1 }
            guard bytes[i] | 0x20 == UInt8(ascii: "h"), bytes[i + 1] | 0x20 == UInt8(ascii: "r"),
                  bytes[i + 2] | 0x20 == UInt8(ascii: "e"), bytes[i + 3] | 0x20 == UInt8(ascii: "f"),
                  i == 0 || Self.isSpace(bytes[i - 1])
            else { continue }
            var j = i + 4
            while j < n && Self.isSpace(bytes[j]) { j += 1 }
            guard j < n, bytes[j] == UInt8(ascii: "=") else { continue }
            j += 1
            while j < n && Self.isSpace(bytes[j]) { j += 1 }
            guard j < n else { break }
            let start: Int, end: Int
            if bytes[j] == UInt8(ascii: "\"") || bytes[j] == UInt8(ascii: "'") {
                let quote = bytes[j]
                start = j + 1
                var k = start
                while k < n && bytes[k] != quote { k += 1 }
                end = k
            } else {
                start = j
                var k = start
                while k < n && !Self.isSpace(bytes[k]) && bytes[k] != UInt8(ascii: ">") { k += 1 }
                end = k
            }
            let (line, column) = position.lineAndColumn(at: start)
            found.append(Found(range: start..<end, value: String(decoding: bytes[start..<end], as: UTF8.self), line: line, column: column))
            i = end
        }
        return found
    }

    /// Whether a link is rewritten for click tracking: an http(s) URL.
    static func isTracked(_ value: String) -> Bool {
        let lower = TagScanner.trimmed(ArraySlice(value.utf8)).prefix(8).map { $0 | 0x20 }
        return lower.starts(with: Array("http://".utf8)) || lower.starts(with: Array("https://".utf8))
    }

    /// The template with each tracked link replaced by `{{{__herald_click_N}}}` and the
    /// open pixel `{{{__herald_open}}}` inserted before the last `</body>` (or appended).
    func rewritten(pixel: Bool) -> (source: String, trackedLinks: [String]) {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 256)
        var tracked: [String] = []
        var copied = 0
        for link in links() where Self.isTracked(link.value) {
            out.append(contentsOf: bytes[copied..<link.range.lowerBound])
            out.append(contentsOf: Array("{{{\(MessageContext.clickPrefix)\(tracked.count)}}}".utf8))
            tracked.append(String(decoding: TagScanner.trimmed(ArraySlice(link.value.utf8)), as: UTF8.self))
            copied = link.range.upperBound
        }
        out.append(contentsOf: bytes[copied...])
        if pixel {
            let img = Array(
                "<img src=\"{{{\(MessageContext.openName)}}}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:none\">".utf8
            )
            if let body = Self.lastIndex(of: Array("</body".utf8), in: out) {
                out.insert(contentsOf: img, at: body)
            } else {
                out.append(contentsOf: img)
            }
        }
        return (String(decoding: out, as: UTF8.self), tracked)
    }

    private static func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = haystack.count - needle.count
        while i >= 0 {
            if zip(haystack[i..<(i + needle.count)], needle).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) { return i }
            i -= 1
        }
        return nil
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C }
}
