/// swift-mustache's HTML escaping (`&`, `<`, `>`, `"`, `'`), on UTF-8 bytes.
///
/// swift-mustache escapes by `Character`: a special ASCII byte that shares a grapheme
/// cluster with a neighbouring non-ASCII scalar (e.g. `&` followed by a combining accent)
/// is not escaped. Such values (rare) go through the same `Character` loop, so the output
/// is identical byte for byte; every other value is escaped with a byte table.
enum HTMLEscaping {
    /// The replacement of each special byte, empty for the others.
    private static let replacements: [[UInt8]] = {
        var table = [[UInt8]](repeating: [], count: 256)
        table[Int(UInt8(ascii: "<"))] = Array("&lt;".utf8)
        table[Int(UInt8(ascii: ">"))] = Array("&gt;".utf8)
        table[Int(UInt8(ascii: "&"))] = Array("&amp;".utf8)
        table[Int(UInt8(ascii: "\""))] = Array("&quot;".utf8)
        table[Int(UInt8(ascii: "'"))] = Array("&#39;".utf8)
        return table
    }()

    private static let characterReplacements: [Character: String] = [
        "<": "&lt;", ">": "&gt;", "&": "&amp;", "\"": "&quot;", "'": "&#39;",
    ]

    @inline(__always)
    private static func isSpecial(_ byte: UInt8) -> Bool {
        byte == 0x3C || byte == 0x3E || byte == 0x26 || byte == 0x22 || byte == 0x27
    }

    /// Appends `bytes` (valid UTF-8) escaped.
    static func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout some ByteSink) {
        let n = bytes.count
        var hazard = false
        var special = false
        for i in 0..<n where isSpecial(bytes[i]) {
            special = true
            if (i > 0 && bytes[i - 1] >= 0x80) || (i + 1 < n && bytes[i + 1] >= 0x80) {
                hazard = true
                break
            }
        }
        guard special else { return out.write(bytes) }
        if hazard {
            // A special byte may share a cluster with its neighbour: the whole value by
            // Character, as swift-mustache does.
            var escaped: [UInt8] = []
            appendByCharacter(String(decoding: bytes, as: UTF8.self), to: &escaped)
            return out.write(escaped)
        }
        var copied = 0
        for i in 0..<n where isSpecial(bytes[i]) {
            out.write(UnsafeBufferPointer(rebasing: bytes[copied..<i]))
            out.write(replacements[Int(bytes[i])])
            copied = i + 1
        }
        out.write(UnsafeBufferPointer(rebasing: bytes[copied..<n]))
    }

    /// Appends `text` escaped.
    static func append(_ text: String, to out: inout some ByteSink) {
        var text = text
        text.withUTF8 { append($0, to: &out) }
    }

    /// swift-mustache's `htmlEscape()`: one `Character` at a time.
    static func appendByCharacter(_ text: String, to out: inout [UInt8]) {
        for c in text {
            if let replacement = characterReplacements[c] {
                out.append(contentsOf: replacement.utf8)
            } else {
                out.append(contentsOf: String(c).utf8)
            }
        }
    }
}
