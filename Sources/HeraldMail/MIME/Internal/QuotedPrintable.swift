/// Quoted-printable (RFC 2045 §6.7) body encoding.
enum QuotedPrintable {
    static let maxLineLength = 76

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
    /// count of ``estimatedLength(count:escaped:)``'s escaped bytes. One byte at a time:
    /// the reference for ``encode(_:to:)``, which takes eight at a time where it can.
    private static func encode(
        _ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>
    ) -> (written: Int, escaped: Int) {
        guard let input = text.baseAddress, let output = out.baseAddress else { return (0, 0) }
        var state = State()
        while state.i < text.count {
            encodeByte(input, count: text.count, to: output, &state)
        }
        return (state.o, state.escaped)
    }

    /// Where an encoding is: input index, output index, output column, escaped bytes.
    struct State {
        var i = 0
        var o = 0
        var column = 0
        var escaped = 0
    }

    /// Encodes the byte at `state.i` (a CRLF, CR or LF line break as a whole) and moves
    /// `state` past it: the step both encoders share.
    @inline(__always)
    static func encodeByte(
        _ input: UnsafePointer<UInt8>, count n: Int, to out: UnsafeMutablePointer<UInt8>, _ state: inout State
    ) {
        let i = state.i
        let b = input[i]
        // The common case first: a literal character with room left for it and a
        // soft break after it (what the general path below decides for it too).
        if b >= 33 && b <= 126 && b != 61 && state.column < maxLineLength - 1 {
            out[state.o] = b
            state.o += 1
            state.column += 1
            state.i += 1
            return
        }
        // (The bytes the estimate counts as escaped: none takes the fast path above.)
        if b == 61 || b >= 127 || (b < 32 && b != 9 && b != 10 && b != 13) { state.escaped += 1 }
        if b == 13 || b == 10 {
            out[state.o] = 13
            out[state.o + 1] = 10
            state.o += 2
            state.column = 0
            state.i += (b == 13 && i + 1 < n && input[i + 1] == 10) ? 2 : 1
            return
        }
        let nextIsBreak = i + 1 == n || input[i + 1] == 13 || input[i + 1] == 10
        let literal: Bool
        switch b {
        case 33...60, 62...126: literal = true
        case 32, 9: literal = !nextIsBreak
        default: literal = false
        }
        let width = literal ? 1 : 3
        // Keep room for a soft break's "=" unless this is the line's last character.
        let limit = nextIsBreak ? maxLineLength : maxLineLength - 1
        if state.column + width > limit {
            out[state.o] = UInt8(ascii: "=")
            out[state.o + 1] = 13
            out[state.o + 2] = 10
            state.o += 3
            state.column = 0
        }
        if literal {
            out[state.o] = b
            state.o += 1
        } else {
            out[state.o] = UInt8(ascii: "=")
            out[state.o + 1] = hexDigit(b >> 4)
            out[state.o + 2] = hexDigit(b & 0x0F)
            state.o += 3
        }
        state.column += width
        state.i += 1
    }

    /// An upper-case hex digit of a value below 16.
    @inline(__always)
    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 55 + v }

    /// The estimated encoded length of a text of `count` bytes of which `escaped` are
    /// neither printable ASCII other than `=`, nor space, tab, CR or LF (``encode(_:into:)``
    /// counts them): each such byte takes 3 characters, and soft breaks add about 4%.
    static func estimatedLength(count: Int, escaped: Int) -> Int {
        let length = count + 2 * escaped
        return length + length / 25
    }
}
