/// Base64 (RFC 4648) for encoded-words and bodies.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends the base64 of `bytes` to `out`, with CRLF after every `lineLength`
    /// characters when `lineLength` is set (and none after the last line).
    static func encode(_ bytes: some Collection<UInt8>, lineLength: Int? = nil, into out: inout [UInt8]) {
        var column = 0
        var iterator = bytes.makeIterator()
        func put(_ c: UInt8, _ out: inout [UInt8]) {
            if let lineLength, column == lineLength {
                out.append(13)
                out.append(10)
                column = 0
            }
            out.append(c)
            column += 1
        }
        while let b0 = iterator.next() {
            let b1 = iterator.next()
            let b2 = b1 == nil ? nil : iterator.next()
            let n = (UInt32(b0) << 16) | (UInt32(b1 ?? 0) << 8) | UInt32(b2 ?? 0)
            put(alphabet[Int((n >> 18) & 63)], &out)
            put(alphabet[Int((n >> 12) & 63)], &out)
            put(b1 == nil ? UInt8(ascii: "=") : alphabet[Int((n >> 6) & 63)], &out)
            put(b2 == nil ? UInt8(ascii: "=") : alphabet[Int(n & 63)], &out)
        }
    }

    /// The length of the base64 of `count` bytes, without line breaks.
    static func encodedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }
}

extension Base64 {
    /// `text` with its line breaks (CRLF, LF or CR) as CRLF: a text body's canonical
    /// form, what a base64 text part encodes.
    static func canonicalText<Text: RandomAccessCollection<UInt8>>(_ text: Text) -> [UInt8] where Text.Index == Int {
        var canonical: [UInt8] = []
        canonical.reserveCapacity(text.count + text.count / 40)
        var i = text.startIndex
        while i < text.endIndex {
            let b = text[i]
            if b == 13 || b == 10 {
                canonical.append(13)
                canonical.append(10)
                i += (b == 13 && i + 1 < text.endIndex && text[i + 1] == 10) ? 2 : 1
            } else {
                canonical.append(b)
                i += 1
            }
        }
        return canonical
    }
}
