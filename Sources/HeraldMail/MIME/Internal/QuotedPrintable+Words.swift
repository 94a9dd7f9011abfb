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
        var state = State()
        encode(input, count: text.count, to: out, &state, until: text.count)
        return (state.o, state.escaped)
    }

    /// Encodes from `state` on until the input index reaches `stop` (or passes it, by the
    /// second byte of a CRLF): ``encode(_:to:)``'s loop, which the chunked encoder runs
    /// piece by piece. Bytes are encoded the same whatever `stop` is (a byte's encoding
    /// looks at the byte after it, never further).
    static func encode(
        _ input: UnsafePointer<UInt8>, count n: Int, to out: UnsafeMutablePointer<UInt8>, _ state: inout State, until stop: Int
    ) {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while state.i < stop {
            // Eight literal bytes, each at a column below 75 (room for a soft break after it);
            // a space among them is followed by a byte of the eight, the last one by byte
            // i + 8, which must be neither CR nor LF if it is a space.
            let i = state.i
            if state.column <= maxLineLength - 9 && i + 8 < n && i + 8 <= stop {
                let word = UnsafeRawPointer(input + i).loadUnaligned(as: UInt64.self)
                let below32 = (word &- ones &* 0x20) & ~word & highs
                let equals = word ^ (ones &* 0x3D)
                let hasEquals = (equals &- ones) & ~equals & highs
                let delete = word ^ (ones &* 0x7F)
                let hasDelete = (delete &- ones) & ~delete & highs
                if below32 | (word & highs) | hasEquals | hasDelete == 0
                    && (word >> 56 != 0x20 || (input[i + 8] != 13 && input[i + 8] != 10))
                {
                    UnsafeMutableRawPointer(out + state.o).storeBytes(of: word, as: UInt64.self)
                    state.o += 8
                    state.column += 8
                    state.i += 8
                    continue
                }
            }
            encodeByte(input, count: n, to: out, &state)
        }
    }
}
