/// ``HTMLText``'s text collector (collapsed whitespace, at most one blank line in a row,
/// link targets after the link text) over a buffer it allocates and grows itself:
/// ``HTMLTextScanner`` owns it for one call and deallocates it.
struct ScratchText {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    private var pendingSpace = false
    private var pendingBreaks = 0
    private var linkTextStart: [Int] = []

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    /// Frees the buffer; the collector is not used afterwards.
    func deallocate() { base.deallocate() }

    /// The text written so far.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let grown = max(capacity * 2, count + extra)
        let new = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        new.update(from: base, count: count)
        base.deallocate()
        base = new
        capacity = grown
    }

    /// One visible ASCII character (after what is pending).
    mutating func append(ascii byte: UInt8) {
        reserve(3)
        flushPending()
        base[count] = byte
        count += 1
    }

    mutating func append(text: String) {
        var text = text
        text.withUTF8 { append(utf8: $0) }
    }

    /// Valid UTF-8: ASCII whitespace and Unicode white space (but the no-break space, which
    /// becomes a plain space) become one pending space; the rest is copied.
    mutating func append(utf8 run: UnsafeBufferPointer<UInt8>) {
        guard let p = run.baseAddress else { return }
        let n = run.count
        // At most every byte, plus what was pending before the first one.
        reserve(n + 2)
        var i = 0
        while i < n {
            let b = p[i]
            if b < 0x80 {
                if b == 0x20 || (b >= 0x09 && b <= 0x0D) {
                    pendingSpace = true
                    i += 1
                    continue
                }
                // A run of visible ASCII goes in at once, after what was pending.
                let start = i
                i += 1
                while i < n {
                    let c = p[i]
                    if c <= 0x20 || c >= 0x80 { break }
                    i += 1
                }
                flushPending()
                (base + count).update(from: p + start, count: i - start)
                count += i - start
                continue
            }
            // A multi-byte scalar, its length from the lead byte (valid UTF-8).
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
            let end = min(i + length, n)
            var value = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for k in (i + 1)..<end { value = (value << 6) | (UInt32(p[k]) & 0x3F) }
            if Self.isWhitespace(value) {
                pendingSpace = true
            } else {
                flushPending()
                if value == 0xA0 {
                    base[count] = UInt8(ascii: " ")
                    count += 1
                } else {
                    (base + count).update(from: p + i, count: end - i)
                    count += end - i
                }
            }
            i = end
        }
    }

    /// Unicode white space above ASCII other than the no-break space.
    private static func isWhitespace(_ value: UInt32) -> Bool {
        // White_Space above ASCII: U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029,
        // U+202F, U+205F, U+3000; the property decides among the candidates.
        guard value == 0x85 || value == 0x1680 || (value >= 0x2000 && value <= 0x205F) || value == 0x3000 else { return false }
        return Unicode.Scalar(value)?.properties.isWhitespace ?? false
    }

    /// Writes the line breaks or the space waiting before the next visible character
    /// (room for them is reserved by the callers).
    private mutating func flushPending() {
        if pendingBreaks > 0 {
            if count > 0 {
                for _ in 0..<pendingBreaks {
                    base[count] = UInt8(ascii: "\n")
                    count += 1
                }
            }
            pendingBreaks = 0
            pendingSpace = false
        } else if pendingSpace {
            if count > 0 {
                base[count] = UInt8(ascii: " ")
                count += 1
            }
            pendingSpace = false
        }
    }

    mutating func space() { pendingSpace = true }

    mutating func lineBreak(paragraph: Bool) {
        pendingBreaks = max(pendingBreaks, paragraph ? 2 : 1)
    }

    mutating func openLink() {
        linkTextStart.append(count)
    }

    mutating func closeLink(href: String) {
        let offset = min(linkTextStart.popLast() ?? count, count)
        let text = UnsafeBufferPointer(start: base + offset, count: count - offset)
        let linkText: String
        if !text.contains(where: { $0 >= 0x80 }) {
            // ASCII (the common case): a character is a byte, trimmed on the bytes.
            var start = 0
            var end = text.count
            while start < end, text[start] == 0x20 || (0x09...0x0D).contains(text[start]) { start += 1 }
            while end > start, text[end - 1] == 0x20 || (0x09...0x0D).contains(text[end - 1]) { end -= 1 }
            linkText = String(decoding: UnsafeBufferPointer(rebasing: text[start..<end]), as: UTF8.self)
        } else {
            linkText = String(decoding: text, as: UTF8.self).trimmingCharacters()
        }
        if linkText == href || "mailto:" + linkText == href { return }
        append(text: linkText.isEmpty ? href : " [\(href)]")
    }
}
