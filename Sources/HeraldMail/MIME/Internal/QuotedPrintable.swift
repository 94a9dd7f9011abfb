/// Quoted-printable (RFC 2045 §6.7) body encoding.
enum QuotedPrintable {
    static let maxLineLength = 76
    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Appends the quoted-printable form of `text` to `out`. Line breaks in `text`
    /// (CRLF, LF or CR) become CRLF hard breaks; encoded lines are at most 76 characters,
    /// with soft breaks (`=` CRLF) where a line is longer; spaces and tabs before a line
    /// break are encoded so that no transport strips them.
    ///
    /// Returns how many bytes of `text` ``estimatedLength(count:escaped:)`` counts as
    /// escaped (found on the way, instead of a pass of its own).
    static func encode(_ text: [UInt8], into out: inout [UInt8]) -> Int {
        // At most 3 bytes per input byte plus a soft break ("=" CRLF) per 25 output bytes.
        let capacity = text.count * 3 + (text.count * 3) / 25 + 3
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: capacity))
        let (written, escaped) = out.withUnsafeMutableBufferPointer { buffer in
            text.withUnsafeBufferPointer { input in
                encode(input, into: UnsafeMutableBufferPointer(rebasing: buffer[start...]))
            }
        }
        out.removeLast(capacity - written)
        return escaped
    }

    /// Encodes `text` into `out` (large enough); returns the bytes written and the
    /// count of ``estimatedLength(count:escaped:)``'s escaped bytes.
    private static func encode(
        _ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>
    ) -> (written: Int, escaped: Int) {
        var o = 0
        var escaped = 0
        var column = 0
        var i = 0
        let n = text.count
        while i < n {
            let b = text[i]
            // The common case first: a literal character with room left for it and a
            // soft break after it (what the general path below decides for it too).
            if b >= 33 && b <= 126 && b != 61 && column < maxLineLength - 1 {
                out[o] = b
                o += 1
                column += 1
                i += 1
                continue
            }
            // (The bytes the estimate counts as escaped: none takes the fast path above.)
            if b == 61 || b >= 127 || (b < 32 && b != 9 && b != 10 && b != 13) { escaped += 1 }
            if b == 13 || b == 10 {
                out[o] = 13
                out[o + 1] = 10
                o += 2
                column = 0
                i += (b == 13 && i + 1 < n && text[i + 1] == 10) ? 2 : 1
                continue
            }
            let nextIsBreak = i + 1 == n || text[i + 1] == 13 || text[i + 1] == 10
            let literal: Bool
            switch b {
            case 33...60, 62...126: literal = true
            case 32, 9: literal = !nextIsBreak
            default: literal = false
            }
            let width = literal ? 1 : 3
            // Keep room for a soft break's "=" unless this is the line's last character.
            let limit = nextIsBreak ? maxLineLength : maxLineLength - 1
            if column + width > limit {
                out[o] = UInt8(ascii: "=")
                out[o + 1] = 13
                out[o + 2] = 10
                o += 3
                column = 0
            }
            if literal {
                out[o] = b
                o += 1
            } else {
                out[o] = UInt8(ascii: "=")
                out[o + 1] = hex[Int(b >> 4)]
                out[o + 2] = hex[Int(b & 0x0F)]
                o += 3
            }
            column += width
            i += 1
        }
        return (o, escaped)
    }

    /// The estimated encoded length of a text of `count` bytes of which `escaped` are
    /// neither printable ASCII other than `=`, nor space, tab, CR or LF (``encode(_:into:)``
    /// counts them): each such byte takes 3 characters, and soft breaks add about 4%.
    static func estimatedLength(count: Int, escaped: Int) -> Int {
        let length = count + 2 * escaped
        return length + length / 25
    }
}
