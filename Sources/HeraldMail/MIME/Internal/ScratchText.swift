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
    /// Whether ``markedStart`` is set by the next write of a visible character.
    private var marking = false
    /// Where the first visible character after ``mark()`` went (after the space or line
    /// breaks that were pending before it), `nil` before one is written.
    private(set) var markedStart: Int?

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    /// Frees the buffer; the collector is not used afterwards.
    func deallocate() { base.deallocate() }

    /// The text written so far.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// The count of bytes written so far.
    var written: Int { count }

    /// Whether a space is pending (white space was read after the last visible character).
    var spacePending: Bool { pendingSpace }

    /// Starts watching for the next visible character: see ``markedStart``.
    mutating func mark() {
        marking = true
        markedStart = nil
    }

    mutating func reserve(_ extra: Int) {
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
        // At most every byte, plus what was pending before the first one, plus the 8
        // bytes that a visible run's last word-sized copy may write past its end.
        reserve(n + 2 + 8)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        while i < n {
            let b = p[i]
            if b < 0x80 {
                if b == 0x20 || (b >= 0x09 && b <= 0x0D) {
                    pendingSpace = true
                    i += 1
                    continue
                }
                // A run of visible ASCII (this byte, which may be a control character,
                // then bytes above 0x20 and below 0x80, and single spaces between them)
                // goes in at once, after what was pending: copied eight bytes at a time
                // (the bytes after the run are overwritten next), the run's end found in
                // each word. A single space followed by a visible byte is what the pending
                // space would write (the output is not empty any more).
                flushPending()
                base[count] = b
                var k = i + 1
                while k + 8 <= n {
                    let word = UnsafeRawPointer(p + k).loadUnaligned(as: UInt64.self)
                    UnsafeMutableRawPointer(base + count + (k - i)).storeBytes(of: word, as: UInt64.self)
                    // Per byte, exactly: below 0x20 (high bit clear, low 7 bits < 0x20), 0x80
                    // and above, a space (0x20).
                    let low = word & ~highs
                    let below32 = ~((low &+ ones &* 0x60) | word) & highs
                    let spaces = ~(((word ^ ones &* 0x20) & ~highs &+ ~highs) | (word ^ ones &* 0x20)) & highs
                    // A space followed by anything but a visible ASCII byte (another space,
                    // a line break, a non-ASCII scalar that may be white space), or that is
                    // the word's last byte, ends the run.
                    let invisible = below32 | (word & highs) | spaces
                    let badSpaces = spaces & ((invisible >> 8) | (0x80 << 56))
                    let stop = below32 | (word & highs) | badSpaces
                    if stop != 0 {
                        k += stop.trailingZeroBitCount / 8
                        break
                    }
                    k += 8
                }
                if k + 8 > n {
                    while k < n {
                        let c = p[k]
                        if c <= 0x20 || c >= 0x80 { break }
                        base[count + (k - i)] = c
                        k += 1
                    }
                }
                count += k - i
                i = k
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

    /// Appends what ``append(utf8:)`` of the run would append (the run's text after
    /// entity decoding, see ``Run``): its leading white space made pending, its visible
    /// text after what was pending, its trailing white space made pending. Returns where
    /// the visible text went, or `nil` when it has none.
    @discardableResult
    mutating func append(run: Run) -> Int? {
        if run.leadingSpace { pendingSpace = true }
        guard !run.text.isEmpty else { return nil }
        reserve(run.text.count + 2)
        flushPending()
        let start = count
        run.text.withUnsafeBufferPointer { text in
            guard let source = text.baseAddress else { return }
            (base + count).update(from: source, count: text.count)
        }
        count += run.text.count
        pendingSpace = run.trailingSpace
        return start
    }

    /// Unicode white space above ASCII other than the no-break space.
    static func isWhitespace(_ value: UInt32) -> Bool {
        // White_Space above ASCII: U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029,
        // U+202F, U+205F, U+3000; the property decides among the candidates.
        guard value == 0x85 || value == 0x1680 || (value >= 0x2000 && value <= 0x205F) || value == 0x3000 else { return false }
        return Unicode.Scalar(value)?.properties.isWhitespace ?? false
    }

    /// Writes the line breaks or the space waiting before the next visible character
    /// (room for them is reserved by the callers).
    @inline(__always)
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
        if marking {
            marking = false
            markedStart = count
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
        var href = href
        href.withUTF8 { closeLink(target: $0) }
    }

    /// ``closeLink(href:)`` with the target's UTF-8 bytes.
    mutating func closeLink(target: UnsafeBufferPointer<UInt8>) {
        let offset = min(linkTextStart.popLast() ?? count, count)
        // ASCII text and target (the common case): compared and written as bytes (for
        // ASCII, `String` equality is byte equality).
        if closeASCIILink(textFrom: offset, target: target) { return }
        let href = String(decoding: target, as: UTF8.self)
        let text = UnsafeBufferPointer(start: base + offset, count: count - offset)
        var linkText = String(decoding: text, as: UTF8.self).trimmingCharacters()
        if !text.contains(where: { $0 >= 0x80 }) {
            // ASCII text (the target is not): trimmed on the bytes, as HTMLText does.
            var start = 0
            var end = text.count
            while start < end, text[start] == 0x20 || (0x09...0x0D).contains(text[start]) { start += 1 }
            while end > start, text[end - 1] == 0x20 || (0x09...0x0D).contains(text[end - 1]) { end -= 1 }
            linkText = String(decoding: UnsafeBufferPointer(rebasing: text[start..<end]), as: UTF8.self)
        }
        if linkText == href || "mailto:" + linkText == href { return }
        append(text: linkText.isEmpty ? href : " [\(href)]")
    }

    /// ``closeLink(target:)`` when the link text (from `offset`) and the target are
    /// ASCII: compared and written as bytes (for ASCII, `String` equality is byte
    /// equality). False (nothing done) otherwise.
    private mutating func closeASCIILink(textFrom offset: Int, target: UnsafeBufferPointer<UInt8>) -> Bool {
        let text = UnsafeBufferPointer(start: base + offset, count: count - offset)
        guard !target.contains(where: { $0 >= 0x80 }), !text.contains(where: { $0 >= 0x80 }) else { return false }
        var start = 0
        var end = text.count
        while start < end, text[start] == 0x20 || (0x09...0x0D).contains(text[start]) { start += 1 }
        while end > start, text[end - 1] == 0x20 || (0x09...0x0D).contains(text[end - 1]) { end -= 1 }
        let linkText = UnsafeBufferPointer(rebasing: text[start..<end])
        if linkText.elementsEqual(target) { return true }
        if target.count == 7 + linkText.count && "mailto:".utf8.elementsEqual(target[0..<7])
            && linkText.elementsEqual(target[7...])
        {
            return true
        }
        if linkText.isEmpty {
            append(utf8: target)
        } else {
            Self.openBracket.withUnsafeBufferPointer { append(utf8: $0) }
            append(utf8: target)
            Self.closeBracket.withUnsafeBufferPointer { append(utf8: $0) }
        }
        return true
    }

    private static let openBracket: [UInt8] = [UInt8(ascii: " "), UInt8(ascii: "[")]
    private static let closeBracket: [UInt8] = [UInt8(ascii: "]")]
}
