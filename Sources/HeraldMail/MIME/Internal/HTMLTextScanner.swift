#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ``HTMLText``'s plain text of an HTML body, the same bytes, for the composer: read from
/// the HTML's UTF-8 in place, written into one scratch buffer through pointers, tag names
/// recognised on their bytes (no `String` and no set lookup per tag), runs of visible
/// ASCII copied at once. Tags that need more (links and images for their attributes,
/// non-ASCII tags, tags with CRLF inside) go through ``HTMLText/Tag`` as before.
enum HTMLTextScanner {
    /// Calls `body` with the text of `html` (valid UTF-8); the bytes live only during the call.
    static func withText<R>(fromHTML html: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withText(fromHTML: html, runs: nil) { text, _ in body(text) }
    }

    /// Calls `body` with the text of `html` (valid UTF-8) and the ranges of that text
    /// (with their quoted-printable encoding when the run was remembered) written by
    /// long runs of HTML text (at least ``longRun`` bytes between two tags,
    /// whose visible text is at least ``ChunkCache/minimumCount`` bytes): the chunks
    /// the composer's quoted-printable encoder starts lines at
    /// (``QuotedPrintable/encode(_:to:chunks:cache:)``).
    ///
    /// The text of such a run is taken from `runs` when another message had the same run,
    /// else made here (and offered to `runs`): the same bytes either way.
    static func withText<R>(
        fromHTML html: UnsafeBufferPointer<UInt8>, runs: ChunkCache<ScratchText.Run>?,
        _ body: (UnsafeBufferPointer<UInt8>, [QuotedPrintable.ChunkRange]) -> R
    ) -> R {
        var output = ScratchText(capacity: html.count + 64)
        defer { output.deallocate() }
        var chunks: [QuotedPrintable.ChunkRange] = []
        scan(html, into: &output, runs: runs, chunks: &chunks)
        return body(output.bytes, chunks)
    }

    /// The shortest run of HTML text whose text is kept in the composer's cache and
    /// starts a quoted-printable line.
    static var longRun: Int { 64 }

    /// What a tag does to the text (``HTMLText``'s sets, by name).
    enum Kind: Equatable {
        case other
        case link
        case image
        case cell
        case block(paragraph: Bool, item: Bool)
        /// `script`, `style`, `head`, `title`: contents dropped (the name, for the end tag).
        case skipped(UInt8)
    }

    private static func scan(
        _ s: UnsafeBufferPointer<UInt8>, into output: inout ScratchText, runs: ChunkCache<ScratchText.Run>?,
        chunks: inout [QuotedPrintable.ChunkRange]
    ) {
        guard let p = s.baseAddress else { return }
        let n = s.count
        var skipping: UInt8?
        var linkStack: [Href] = []
        var i = 0
        while i < n {
            if p[i] == UInt8(ascii: "<") {
                // Comments, doctype and CDATA are dropped.
                if i + 4 <= n && p[i + 1] == UInt8(ascii: "!") && p[i + 2] == UInt8(ascii: "-") && p[i + 3] == UInt8(ascii: "-") {
                    i = commentEnd(p, n, from: i + 4)
                    continue
                }
                guard let end = tagEnd(p, n, from: i + 1) else {
                    if skipping == nil { output.append(ascii: UInt8(ascii: "<")) }
                    i += 1
                    continue
                }
                let raw = UnsafeBufferPointer(start: p + i + 1, count: end - i - 1)
                i = end + 1
                let (kind, closing, selfClosing, attributes) = classify(raw)
                if let skipped = skipping {
                    if closing && kind == .skipped(skipped) { skipping = nil }
                    continue
                }
                switch kind {
                case .skipped(let name) where !closing && !selfClosing:
                    skipping = name
                case .link:
                    if closing {
                        switch linkStack.popLast() {
                        case .bytes(let range)?: output.closeLink(target: UnsafeBufferPointer(rebasing: s[range]))
                        case .text(let href)?: output.closeLink(href: href)
                        case .unusable?, nil: break
                        }
                    } else {
                        linkStack.append(href(raw: raw, at: i - raw.count - 1, attributes: attributes))
                        output.openLink()
                    }
                case .image where !closing:
                    if let alt = attribute("alt", raw: raw, attributes: attributes), !alt.isEmpty {
                        output.append(text: HTMLText.decodeEntities(alt))
                    }
                case .block(let paragraph, let item):
                    output.lineBreak(paragraph: paragraph)
                    if item && !closing { output.append(text: "- ") }
                case .cell:
                    output.space()
                default:
                    break
                }
                continue
            }
            // A run of text up to the next "<".
            let rest = UnsafeRawPointer(p + i)
            let runEnd = memchr(rest, Int32(UInt8(ascii: "<")), n - i).map { UnsafeRawPointer($0) - rest + i } ?? n
            if skipping == nil {
                let run = UnsafeBufferPointer(start: p + i, count: runEnd - i)
                if let runs, run.count >= longRun {
                    appendLongRun(run, into: &output, runs: runs, chunks: &chunks)
                } else if memchr(rest, Int32(UInt8(ascii: "&")), runEnd - i) != nil {
                    output.append(text: HTMLText.decodeEntities(String(decoding: run, as: UTF8.self)))
                } else {
                    output.append(utf8: run)
                }
            }
            i = runEnd
        }
    }

    /// The target of an open link, kept until its end tag.
    private enum Href {
        /// No `href`, or one that is not kept (empty, `#…`, `javascript:`).
        case unusable
        /// The bytes of the HTML at this range (an ASCII value without entities).
        case bytes(Range<Int>)
        /// The value with its entities decoded.
        case text(String)
    }

    /// The target of the link tag `raw`, which starts at `start` in the HTML: an ASCII
    /// value without `&` stays a range of the HTML's bytes.
    private static func href(raw: UnsafeBufferPointer<UInt8>, at start: Int, attributes: Int?) -> Href {
        if let attributes, let range = attributeRange("href", raw: raw, attributes: attributes) {
            let value = UnsafeBufferPointer(rebasing: raw[range])
            if !value.contains(UInt8(ascii: "&")) {
                guard let first = value.first, first != UInt8(ascii: "#"), !hasJavaScriptPrefix(value) else { return .unusable }
                return .bytes((start + range.lowerBound)..<(start + range.upperBound))
            }
        }
        let href = attribute("href", raw: raw, attributes: attributes).map(HTMLText.decodeEntities)
        guard let href, !(href.isEmpty || href.hasPrefix("#") || href.hasASCIIPrefixIgnoringCase("javascript:")) else { return .unusable }
        return .text(href)
    }

    /// Whether ASCII bytes start with `javascript:`, ignoring case.
    private static func hasJavaScriptPrefix(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        let prefix: StaticString = "javascript:"
        guard value.count >= prefix.utf8CodeUnitCount else { return false }
        return prefix.withUTF8Buffer { expected in
            for k in 0..<expected.count {
                let b = value[k]
                if (b >= 65 && b <= 90 ? b + 32 : b) != expected[k] { return false }
            }
            return true
        }
    }

    /// A long run of text: its ``ScratchText/Run`` from the cache, or written here; the
    /// range of its visible text is a chunk when that is long enough.
    private static func appendLongRun(
        _ run: UnsafeBufferPointer<UInt8>, into output: inout ScratchText, runs: ChunkCache<ScratchText.Run>,
        chunks: inout [QuotedPrintable.ChunkRange]
    ) {
        var start: Int?
        var known: QuotedPrintable.Chunk?
        switch runs.lookup(run) {
        case .hit(let cached):
            start = output.append(run: cached)
            known = cached.encoded
        case .miss(let admit, let fingerprint):
            output.mark()
            var leadingSpace = false
            if let base = run.baseAddress, memchr(base, Int32(UInt8(ascii: "&")), run.count) != nil {
                var decoded = HTMLText.decodeEntities(String(decoding: run, as: UTF8.self))
                decoded.withUTF8 { decoded in
                    leadingSpace = ScratchText.Run.startsWithSpace(decoded)
                    output.append(utf8: decoded)
                }
            } else {
                leadingSpace = ScratchText.Run.startsWithSpace(run)
                output.append(utf8: run)
            }
            start = output.markedStart
            if admit {
                let text = start.map { Array(UnsafeBufferPointer(rebasing: output.bytes[$0...])) } ?? []
                let remembered = ScratchText.Run(text: text, leadingSpace: leadingSpace, trailingSpace: output.spacePending)
                runs.insert(run, fingerprint: fingerprint, remembered, size: text.count + (remembered.encoded?.encoded.count ?? 0))
                known = remembered.encoded
            }
        }
        if let start, output.written - start >= ChunkCache<ScratchText.Run>.minimumCount {
            chunks.append(QuotedPrintable.ChunkRange(range: start..<output.written, known: known))
        }
    }

    /// The index after the `-->` that closes a comment whose body starts at `from`, or `n`.
    private static func commentEnd(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Int {
        var i = from
        while i + 3 <= n {
            if p[i] == UInt8(ascii: "-") && p[i + 1] == UInt8(ascii: "-") && p[i + 2] == UInt8(ascii: ">") { return i + 3 }
            i += 1
        }
        return n
    }

    /// ``HTMLText``'s `tagEnd`: the index of the `>` that ends a tag opened before `from`,
    /// honouring quotes; `nil` when the `<` does not start a tag.
    private static func tagEnd(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Int? {
        guard from < n else { return nil }
        let first = p[from]
        let startsTag: Bool
        switch first {
        case UInt8(ascii: "/"), UInt8(ascii: "!"), UInt8(ascii: "?"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            startsTag = true
        case 0x80...:
            // A non-ASCII letter may start a tag name: decode the scalar.
            var iterator = UnsafeBufferPointer(start: p + from, count: n - from).makeIterator()
            var decoder = UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) { startsTag = scalar.properties.isAlphabetic } else { startsTag = false }
        default:
            startsTag = false
        }
        guard startsTag else { return nil }
        var quote: UInt8 = 0
        var i = from
        while i < n {
            let c = p[i]
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
            } else if c == UInt8(ascii: ">") {
                return i
            }
            i += 1
        }
        return nil
    }

    /// The tag's kind, whether it is an end tag and whether it is self-closing, the way
    /// ``HTMLText/Tag/parse(_:)`` reads them; for a plain ASCII tag without CRLF, where
    /// its attributes start.
    private static func classify(_ raw: UnsafeBufferPointer<UInt8>) -> (Kind, closing: Bool, selfClosing: Bool, attributes: Int?) {
        var plain = true
        var previous: UInt8 = 0
        for b in raw {
            if b >= 0x80 || (previous == 13 && b == 10) {
                plain = false
                break
            }
            previous = b
        }
        guard plain else {
            // Parsed as Unicode text, as HTMLText does (CRLF is one Character there).
            let tag = HTMLText.Tag.parse(ArraySlice(raw))
            var name = tag.name
            let kind = name.withUTF8 { Self.kind(ofLowercased: $0) }
            return (kind, tag.closing, tag.selfClosing, nil)
        }
        var start = 0
        let closing = raw.first == UInt8(ascii: "/")
        if closing { start = 1 }
        let selfClosing = raw.count > start && raw[raw.count - 1] == UInt8(ascii: "/")
        var end = start
        while end < raw.count {
            let b = raw[end]
            if b == 32 || b == 9 || b == 10 || b == 13 || b == UInt8(ascii: "/") { break }
            end += 1
        }
        let length = end - start
        guard length >= 1 && length <= 10 else { return (.other, closing, selfClosing, end) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { name -> (Kind, closing: Bool, selfClosing: Bool, attributes: Int?) in
            for k in 0..<length {
                let b = raw[start + k]
                name[k] = b >= 65 && b <= 90 ? b + 32 : b
            }
            return (kind(ofLowercased: UnsafeBufferPointer(rebasing: name[0..<length])), closing, selfClosing, end)
        }
    }

    /// The value of an attribute of the tag `raw`, read as ``HTMLText/Tag`` reads it: on
    /// the bytes from `attributes` on for a plain ASCII tag, else through ``HTMLText/Tag``.
    private static func attribute(_ wanted: StaticString, raw: UnsafeBufferPointer<UInt8>, attributes: Int?) -> String? {
        guard let attributes else {
            return HTMLText.Tag.parse(ArraySlice(raw)).attribute(String(describing: wanted))
        }
        return attributeRange(wanted, raw: raw, attributes: attributes).map {
            String(decoding: UnsafeBufferPointer(rebasing: raw[$0]), as: UTF8.self)
        }
    }

    /// Where the value of an attribute of the plain ASCII tag `raw` (attributes from
    /// `attributes` on) is in `raw`, spaces trimmed, as ``HTMLText/Tag`` reads it.
    private static func attributeRange(_ wanted: StaticString, raw: UnsafeBufferPointer<UInt8>, attributes: Int) -> Range<Int>? {
        func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }
        return wanted.withUTF8Buffer { wanted -> Range<Int>? in
            var i = attributes
            let n = raw.count
            while i < n {
                while i < n && (isSpace(raw[i]) || raw[i] == UInt8(ascii: "/")) { i += 1 }
                let nameStart = i
                while i < n && raw[i] != UInt8(ascii: "=") && !isSpace(raw[i]) && raw[i] != UInt8(ascii: "/") { i += 1 }
                var nameMatches = i - nameStart == wanted.count
                if nameMatches {
                    for k in 0..<wanted.count {
                        let b = raw[nameStart + k]
                        if (b >= 65 && b <= 90 ? b + 32 : b) != wanted[k] {
                            nameMatches = false
                            break
                        }
                    }
                }
                while i < n && isSpace(raw[i]) { i += 1 }
                var valueStart = i
                var valueEnd = i
                if i < n && raw[i] == UInt8(ascii: "=") {
                    i += 1
                    while i < n && isSpace(raw[i]) { i += 1 }
                    if i < n && (raw[i] == UInt8(ascii: "\"") || raw[i] == UInt8(ascii: "'")) {
                        let quote = raw[i]
                        valueStart = i + 1
                        i = valueStart
                        while i < n && raw[i] != quote { i += 1 }
                        valueEnd = min(i, n)
                        i += 1
                    } else {
                        valueStart = i
                        while i < n && !isSpace(raw[i]) { i += 1 }
                        valueEnd = i
                    }
                }
                if nameMatches {
                    // Spaces trimmed (ASCII here: a space byte is a space character).
                    while valueStart < valueEnd && raw[valueStart] == 32 { valueStart += 1 }
                    while valueEnd > valueStart && raw[valueEnd - 1] == 32 { valueEnd -= 1 }
                    return valueStart..<valueEnd
                }
                if i == nameStart { i += 1 }
            }
            return nil
        }
    }

    /// The kind of a tag by its lower-cased name (``HTMLText/blockTags`` and the others).
    static func kind(ofLowercased name: UnsafeBufferPointer<UInt8>) -> Kind {
        func `is`(_ literal: StaticString) -> Bool {
            literal.utf8CodeUnitCount == name.count && literal.withUTF8Buffer { $0.elementsEqual(name) }
        }
        switch name.count {
        case 1:
            if name[0] == UInt8(ascii: "a") { return .link }
            if name[0] == UInt8(ascii: "p") { return .block(paragraph: true, item: false) }
        case 2:
            if `is`("br") || `is`("tr") { return .block(paragraph: false, item: false) }
            if `is`("li") { return .block(paragraph: false, item: true) }
            if `is`("td") || `is`("th") { return .cell }
            if `is`("ul") || `is`("ol") || `is`("hr") || `is`("dd") || `is`("dt") || `is`("dl") {
                return .block(paragraph: true, item: false)
            }
            if name[0] == UInt8(ascii: "h") && name[1] >= UInt8(ascii: "1") && name[1] <= UInt8(ascii: "6") {
                return .block(paragraph: true, item: false)
            }
        case 3:
            if `is`("div") { return .block(paragraph: false, item: false) }
            if `is`("pre") { return .block(paragraph: true, item: false) }
            if `is`("img") { return .image }
        case 4:
            if `is`("head") { return .skipped(1) }
        case 5:
            if `is`("table") { return .block(paragraph: true, item: false) }
            if `is`("style") { return .skipped(2) }
            if `is`("title") { return .skipped(3) }
        case 6:
            if `is`("script") { return .skipped(4) }
            if `is`("header") || `is`("footer") || `is`("center") { return .block(paragraph: true, item: false) }
        case 7:
            if `is`("section") || `is`("article") { return .block(paragraph: true, item: false) }
        case 10:
            if `is`("blockquote") { return .block(paragraph: true, item: false) }
        default:
            break
        }
        return .other
    }
}
