import Foundation
@testable import HeraldMail
import Testing

/// `MailComposer` (what `MailMessage.rendered()` and heraldd use) against the reference
/// writer it replaced, over many random messages: the same headers but the boundary (the
/// documented difference) and the same decoded parts, and each fast piece against the
/// piece it replaces.
///
/// The encoded bodies are compared decoded: the composer starts a quoted-printable line
/// at each long chunk of a body (a soft break before it), so that the chunk's encoding is
/// the same in every message and a composer reuses it (the static text of a delivery's
/// template); the reference writer breaks lines only where they are full. Both are valid
/// quoted-printable of the same content (checked strictly by `DecodedMessage`).
@Suite("MailComposer against the reference writer")
struct MailComposerTests {
    /// SplitMix64: a seeded generator, so that a failure can be replayed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let words = [
        "Hello", "news", "of", "the", "week", "Zoë", "Ångström", "日本語", "Łukasz", "José", "😀", "👩‍👩‍👧‍👦", "🇸🇪",
        "=?UTF-8?Q?x?=", "a=b", "?", "_", "\"quoted\"", "(paren)", "back\\slash", "tab\there", "line\nbreak", "cr\rlf\r\n",
        String(repeating: "x", count: 90), String(repeating: "é", count: 40), "e\u{301}", "K", "\u{212A}", "\u{A0}", "\u{2003}",
        "", " ", "  ", "-50 %", "crème brûlée", "Русский", "\u{7}", "Grüße,", "ça", "va?",
    ]

    static let fragments = [
        "<p>", "</p>", "<P CLASS=x>", "<br>", "<br/>", "<BR />", "<div>", "</div>", "<li>", "</li>", "<ul>", "</ul>",
        "<td>", "<th>", "<tr>", "<table>", "<h1>", "</H2>", "<blockquote>", "<section>", "<pre>", "<hr/>",
        "<script>var x = '<p>';</script>", "<style>p{}</style>", "<head><title>T</title></head>", "<title>",
        "<a href=\"https://x.example/a?b=1&amp;c=2\">", "<a href='https://x.example'>", "<A\tHREF = https://x.example/a >",
        "<a href=\"mailto:a@x.example\">", "<a href=\"#top\">", "<a href=\"javascript:void(0)\">", "<a>", "</a>", "</A>",
        "<a title=\"é\" href=\"https://x.example/é\">", "<a href=\"https://t.example/c/tok\u{212A}\">",
        "<img src=\"p.gif\" alt=\"Logo &amp; co\">", "<IMG SRC=p.gif ALT='x'>", "<img alt=\"\">", "<img alt=' é '>",
        "<!-- comment <p> -->", "<!-->", "<!DOCTYPE html>", "<?xml?>", "<p\r\nclass=x>", "<é>", "<\u{212A}bd>",
        "1 < 2", "a > b", "<", ">", "&lt;", "&amp;", "&nbsp;", "&#128512;", "&#x1F389;", "&bogus;", "&", "&#0;",
        "\n", "\r\n", "\r", "\t", "  ", ".", "\n.", "\r\n..", "=", "=3D", " \n", "\t\r\n",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, ", String(repeating: "long", count: 60),
        "Ünïcødé: Grüße, déjà vu, 日本語のテキスト, emoji 😀👩‍👩‍👧‍👦🇸🇪", "\u{85}", "\u{2028}", "\u{3000}", "\u{7F}", "\u{1}",
    ]

    static func text(_ pieces: [String], count: Int, separator: String, using rng: inout SeededGenerator) -> String {
        (0..<count).map { _ in pieces.randomElement(using: &rng)! }.joined(separator: separator)
    }

    static func randomMessage(_ index: Int, using rng: inout SeededGenerator) -> MailMessage {
        let html = text(fragments, count: Int.random(in: 0...80, using: &rng), separator: "", using: &rng)
        let textBody: String? =
            switch index % 4 {
            case 0: text(fragments + words, count: Int.random(in: 0...60, using: &rng), separator: "", using: &rng)
            case 1: ""
            default: nil
            }
        let name = Bool.random(using: &rng) ? text(words, count: Int.random(in: 0...4, using: &rng), separator: " ", using: &rng) : nil
        return MailMessage(
            from: MailAddress(name: text(words, count: Int.random(in: 0...3, using: &rng), separator: " ", using: &rng), address: "news@herald.example"),
            to: MailAddress(name: name, address: "user\(index)@d\(index % 7).example"),
            replyTo: Bool.random(using: &rng) ? MailAddress(address: "reply@herald.example") : nil,
            subject: text(words, count: Int.random(in: 0...12, using: &rng), separator: Bool.random(using: &rng) ? " " : "", using: &rng),
            htmlBody: html,
            textBody: textBody,
            messageID: .stable(deliveryID: "d-\(index % 3)", recipientID: "p\(index)\(index % 5 == 0 ? "é@x" : "")", domain: "herald.example"),
            date: Date(timeIntervalSince1970: Double(UInt32.random(in: 0...UInt32.max, using: &rng))),
            listUnsubscribe: index % 5 == 4 ? nil : ListUnsubscribe(
                url: (index % 3 == 0 ? "http://" : "https://") + "t.herald.example/u/tok\(index)",
                mailto: index % 2 == 0 ? nil : "unsubscribe@herald.example?subject=tok\(index)"
            ),
            extraHeaders: index % 6 == 0 ? [MailHeader(name: "X-Herald-Campaign", value: text(words, count: 4, separator: " ", using: &rng))] : []
        )
    }

    /// The message with its boundary (from the `Content-Type` field) replaced by `BOUNDARY`.
    static func normalized(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let start = text.range(of: "boundary=\""), let end = text[start.upperBound...].firstIndex(of: "\"") else { return text }
        return text.replacingOccurrences(of: String(text[start.upperBound..<end]), with: "BOUNDARY")
    }

    @Test("2,000 random messages: the reference writer's headers but the boundary, and its decoded parts")
    func randomMessagesMatchTheReference() throws {
        var rng = SeededGenerator(state: 20_261_129)
        for index in 0..<2_000 {
            let message = Self.randomMessage(index, using: &rng)
            let composed = message.rendered()
            let reference = message.referenceRendered()
            #expect(try DecodedMessage(composed) == DecodedMessage(reference), "message \(index): \(message)")
            // The boundary is the documented one and differs from the reference's only in its second hash.
            let boundary = "=_herald_" + String(MessageID.fnv1a(message.messageID.value), radix: 16) + "_"
                + String(MessageID.fnv1a(message.subject), radix: 16)
            #expect(String(decoding: composed, as: UTF8.self).contains("boundary=\"\(boundary)\"\r\n"))
        }
    }

    @Test("One composer for many recipients writes what a composer per message writes")
    func oneComposerForManyRecipients() throws {
        var rng = SeededGenerator(state: 7)
        let template = Self.randomMessage(1, using: &rng)
        let composer = MailComposer(from: template.from, replyTo: template.replyTo, extraHeaders: template.extraHeaders)
        for index in 0..<200 {
            var message = Self.randomMessage(index, using: &rng)
            message.from = template.from
            message.replyTo = template.replyTo
            message.extraHeaders = template.extraHeaders
            let composed = composer.render(
                to: message.to, subject: message.subject, htmlBody: message.htmlBody, textBody: message.textBody,
                messageID: message.messageID, date: message.date, listUnsubscribe: message.listUnsubscribe
            )
            #expect(composed == message.rendered())
            #expect(try DecodedMessage(composed) == DecodedMessage(message.referenceRendered()))
        }
    }

    /// A delivery's messages: a template of static HTML fragments (some long, some with
    /// entities, links and white space at their edges) with a random value between each
    /// two, the same fragments in every message.
    static func templateMessages(_ count: Int, using rng: inout SeededGenerator) -> [MailMessage] {
        let longFragments = fragments.filter { $0.utf8.count >= 20 } + [
            "  Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.  ",
            "\n\t<p>Déjà vu &amp; crème brûlée&nbsp;: " + String(repeating: "la vie en rose ", count: 8) + "&hellip;\u{2003}",
            "<a href=\"https://x.example/static\">" + String(repeating: "read more about it ", count: 5) + "</a>",
            "<td style=\"padding:0;margin:0;font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#333333\">",
            String(repeating: "=3D tab\tand space \r\n", count: 6) + "&#128512;&bogus; 1 < 2 ",
        ]
        let pieces = (0..<Int.random(in: 2...12, using: &rng)).map { _ in
            text(longFragments + fragments, count: Int.random(in: 1...4, using: &rng), separator: "", using: &rng)
        }
        let valueAlphabet = words + ["&amp;", "&lt;b&gt;", "<b>", "</a>", "&", ";", " ", "\n", "<p>"]
        return (0..<count).map { index in
            var html = ""
            for (k, piece) in pieces.enumerated() {
                html += piece
                if k < pieces.count - 1 || Bool.random(using: &rng) {
                    html += text(valueAlphabet, count: Int.random(in: 0...3, using: &rng), separator: "", using: &rng)
                }
            }
            return MailMessage(
                from: MailAddress(name: "Herald", address: "news@herald.example"), to: MailAddress(address: "user\(index)@herald.example"),
                subject: "Hello \(index)", htmlBody: html,
                messageID: .stable(deliveryID: "d", recipientID: "p\(index)", domain: "herald.example"),
                // Several messages a second (the composer reuses the second's Date field), some seconds apart.
                date: Date(timeIntervalSince1970: 1_779_358_272 + Double(index / 4) + Double(index % 4) * 0.3),
                listUnsubscribe: ListUnsubscribe(url: "https://t.herald.example/u/\(index)")
            )
        }
    }

    @Test("One composer for a delivery's messages: the chunks it remembers change no byte")
    func composerCacheChangesNoByte() throws {
        var rng = SeededGenerator(state: 314)
        var remembered = 0
        for _ in 0..<40 {
            let messages = Self.templateMessages(30, using: &rng)
            let composer = MailComposer(from: messages[0].from)
            for message in messages {
                let composed = composer.render(
                    to: message.to, subject: message.subject, htmlBody: message.htmlBody, textBody: nil,
                    messageID: message.messageID, date: message.date, listUnsubscribe: message.listUnsubscribe
                )
                // A fresh composer remembers nothing: the same bytes.
                #expect(composed == message.rendered(), "\(message.htmlBody.debugDescription)")
                #expect(try DecodedMessage(composed) == DecodedMessage(message.referenceRendered()), "\(message.htmlBody.debugDescription)")
            }
            remembered += composer.rememberedChunks
        }
        // The static chunks were remembered (and so reused by the later messages).
        #expect(remembered > 100)
    }

    @Test("HTML to text: the scanner writes HTMLText's text for random HTML")
    func htmlTextScanner() {
        var rng = SeededGenerator(state: 99)
        for _ in 0..<3_000 {
            var html = Self.text(Self.fragments + Self.words, count: Int.random(in: 0...100, using: &rng), separator: "", using: &rng)
            let expected = HTMLText.utf8(fromHTML: Array(html.utf8))
            let scanned = html.withUTF8 { HTMLTextScanner.withText(fromHTML: $0) { Array($0) } }
            #expect(scanned == expected, "\(html.debugDescription)")
        }
    }

    @Test("HTML to text with remembered runs: HTMLText's text, chunks inside it")
    func htmlTextScannerWithRuns() {
        var rng = SeededGenerator(state: 271)
        let runs = ChunkCache<ScratchText.Run>()
        var knownChunks = 0
        let pieces = (0..<40).map { _ in Self.text(Self.fragments + Self.words, count: 12, separator: "", using: &rng) }
        for _ in 0..<3_000 {
            // Recurring pieces (the cache hits) and random ones.
            var html = (0..<Int.random(in: 0...8, using: &rng)).map { _ in
                Bool.random(using: &rng) ? pieces.randomElement(using: &rng)! : Self.text(Self.fragments + Self.words, count: 6, separator: "", using: &rng)
            }.joined()
            let expected = HTMLText.utf8(fromHTML: Array(html.utf8))
            let (scanned, chunks) = html.withUTF8 { HTMLTextScanner.withText(fromHTML: $0, runs: runs) { (Array($0), $1) } }
            #expect(scanned == expected, "\(html.debugDescription)")
            var previous = 0
            for item in chunks {
                let chunk = item.range
                #expect(chunk.lowerBound >= previous && chunk.upperBound <= scanned.count && chunk.count >= ChunkCache<ScratchText.Run>.minimumCount)
                // A chunk starts with a visible character (never a line break or white space).
                #expect(scanned[chunk.lowerBound] != 10 && scanned[chunk.lowerBound] != 13)
                // A remembered run's encoding is that of the chunk's bytes.
                if let known = item.known {
                    let expected = scanned[chunk].withUnsafeBufferPointer { QuotedPrintable.chunk(of: $0) }
                    #expect(known.encoded == expected?.encoded && known.consumed == expected?.consumed)
                    #expect(known.column == expected?.column && known.escaped == expected?.escaped)
                    knownChunks += 1
                }
                previous = chunk.upperBound
            }
        }
        #expect(knownChunks > 100)
    }

    @Test("Quoted-printable with chunks: the same content, escaped count and line rules, cached or not")
    func quotedPrintableChunks() throws {
        var rng = SeededGenerator(state: 6)
        let alphabet: [UInt8] = Array("abc XYZ=.\t\r\n~!<".utf8) + [0, 127, 128, 195, 169, 255, 32, 32, 32]
        let cache = ChunkCache<QuotedPrintable.Chunk>()
        let recurring = (0..<10).map { _ in (0..<Int.random(in: 32...300, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! } }
        for round in 0..<3_000 {
            var bytes: [UInt8] = []
            var chunks: [Range<Int>] = []
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                bytes += (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
                // A chunk never starts with a line break (the scanner's and HTMLPieces' never do).
                let piece = round % 3 == 0
                    ? Array(Self.text(Self.fragments, count: 6, separator: " ", using: &rng).utf8)
                    : recurring.randomElement(using: &rng)!
                guard piece.count >= 32, piece[0] != 10, piece[0] != 13 else { continue }
                chunks.append(bytes.count..<(bytes.count + piece.count))
                bytes += piece
            }
            bytes += (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            var plain: [UInt8] = []
            let plainEscaped = QuotedPrintable.encode(bytes, into: &plain)
            let capacity = QuotedPrintable.maxChunkedEncodedLength(bytes.count)
            func chunked(_ cache: ChunkCache<QuotedPrintable.Chunk>?) -> ([UInt8], Int) {
                bytes.withUnsafeBufferPointer { input in
                    var escaped = 0
                    let out = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                        (initialized, escaped) = QuotedPrintable.encode(input, to: buffer.baseAddress!, chunks: chunks, cache: cache)
                    }
                    return (out, escaped)
                }
            }
            let (uncached, escaped) = chunked(nil)
            let (cached, cachedEscaped) = chunked(cache)
            #expect(cached == uncached)
            #expect(escaped == plainEscaped && cachedEscaped == plainEscaped)
            #expect(try DecodedMessage.decodeQuotedPrintable(uncached) == DecodedMessage.decodeQuotedPrintable(plain))
            for line in String(decoding: uncached, as: UTF8.self).components(separatedBy: "\r\n") {
                #expect(line.utf8.count <= 76)
            }
        }
        #expect(cache.count > 0)
    }

    @Test("Quoted-printable a word at a time: the same bytes and count for random bytes")
    func quotedPrintable() {
        var rng = SeededGenerator(state: 5)
        let alphabet: [UInt8] = Array("abc XYZ=.\t\r\n~!".utf8) + [0, 127, 128, 195, 169, 255, 32, 32, 32]
        for round in 0..<3_000 {
            let count = Int.random(in: 0...400, using: &rng)
            let bytes: [UInt8] = round % 2 == 0
                ? (0..<count).map { _ in alphabet.randomElement(using: &rng)! }
                : Array(Self.text(Self.fragments, count: count / 8, separator: " ", using: &rng).utf8)
            var expected: [UInt8] = []
            let expectedEscaped = QuotedPrintable.encode(bytes, into: &expected)
            let capacity = QuotedPrintable.maxEncodedLength(bytes.count)
            let (encoded, escaped) = bytes.withUnsafeBufferPointer { input in
                var written = 0
                var escaped = 0
                let out = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                    (written, escaped) = QuotedPrintable.encode(input, to: buffer.baseAddress!)
                    initialized = written
                }
                return (out, escaped)
            }
            #expect(encoded == expected)
            #expect(escaped == expectedEscaped)
        }
    }

    @Test("Encoded-words, dates and stable ids: the same as the reference pieces")
    func pieces() {
        var rng = SeededGenerator(state: 11)
        for _ in 0..<2_000 {
            let text = Self.text(Self.words, count: Int.random(in: 0...20, using: &rng), separator: " ", using: &rng)
            let capacity = Int.random(in: 20...75, using: &rng)
            let phrase = Bool.random(using: &rng)
            #expect(
                HeaderWriter.encodedWordsQuickly(text, firstCapacity: capacity, phrase: phrase)
                    == HeaderWriter.encodedWords(text, firstCapacity: capacity, phrase: phrase)
            )
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: -100_000_000_000...250_000_000_000, using: &rng)) + 0.5)
            var bytes: [UInt8] = []
            RFC5322Date.append(date, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == RFC5322Date.format(date))
            let delivery = Self.words.randomElement(using: &rng)! + "-\(Int.random(in: 0...9, using: &rng))"
            let recipient = Self.words.randomElement(using: &rng)!
            let domain = ["herald.example", "", "Ex.ample", "é.example"].randomElement(using: &rng)!
            #expect(
                StableMessageIDs(deliveryID: delivery, domain: domain).id(recipientID: recipient)
                    == MessageID.stable(deliveryID: delivery, recipientID: recipient, domain: domain)
            )
        }
    }
}
