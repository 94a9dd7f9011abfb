extension QuotedPrintable {
    /// The most bytes ``encode(_:to:)`` writes for `count` input bytes: 3 per byte plus a
    /// soft break ("=" CRLF) per 25 output bytes.
    static func maxEncodedLength(_ count: Int) -> Int { count * 3 + (count * 3) / 25 + 3 }

    /// ``encode(_:into:)``'s bytes, written to `out` (room for ``maxEncodedLength(_:)``),
    /// eight input bytes at a time where they are all literal (printable ASCII other than
    /// `=`, or spaces not at the end of a line) and the line has room for all eight.
    /// Returns the bytes written and the count of ``estimatedLength(count:escaped:)``'s
    /// escaped bytes.
    static func encode(_ text: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> (written: Int, escaped: Int) {
        guard let input = text.baseAddress else { return (0, 0) }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var o = 0
        var escaped = 0
        var column = 0
        var i = 0
        let n = text.count
        while i < n {
            // Eight literal bytes, each at a column below 75 (room for a soft break after it);
            // a space among them is followed by a byte of the eight, the last one by byte
            // i + 8, which must be neither CR nor LF if it is a space.
            if column <= maxLineLength - 9 && i + 8 < n {
                let word = UnsafeRawPointer(input + i).loadUnaligned(as: UInt64.self)
                let below32 = (word &- ones &* 0x20) & ~word & highs
                let equals = word ^ (ones &* 0x3D)
                let hasEquals = (equals &- ones) & ~equals & highs
                let delete = word ^ (ones &* 0x7F)
                let hasDelete = (delete &- ones) & ~delete & highs
                if below32 | (word & highs) | hasEquals | hasDelete == 0
                    && (word >> 56 != 0x20 || (input[i + 8] != 13 && input[i + 8] != 10))
                {
                    UnsafeMutableRawPointer(out + o).storeBytes(of: word, as: UInt64.self)
                    o += 8
                    column += 8
                    i += 8
                    continue
                }
            }
            let b = input[i]
            if b >= 33 && b <= 126 && b != 61 && column < maxLineLength - 1 {
                out[o] = b
                o += 1
                column += 1
                i += 1
                continue
            }
            if b == 61 || b >= 127 || (b < 32 && b != 9 && b != 10 && b != 13) { escaped += 1 }
            if b == 13 || b == 10 {
                out[o] = 13
                out[o + 1] = 10
                o += 2
                column = 0
                i += (b == 13 && i + 1 < n && input[i + 1] == 10) ? 2 : 1
                continue
            }
            let nextIsBreak = i + 1 == n || input[i + 1] == 13 || input[i + 1] == 10
            let literal: Bool
            switch b {
            case 33...60, 62...126: literal = true
            case 32, 9: literal = !nextIsBreak
            default: literal = false
            }
            let width = literal ? 1 : 3
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
                out[o + 1] = hexDigit(b >> 4)
                out[o + 2] = hexDigit(b & 0x0F)
                o += 3
            }
            column += width
            i += 1
        }
        return (o, escaped)
    }

    /// An upper-case hex digit of a value below 16.
    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 55 + v }
}
