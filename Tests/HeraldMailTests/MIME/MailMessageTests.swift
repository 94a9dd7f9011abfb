import Foundation
@testable import HeraldMail
import Testing

@Suite("MIME messages")
struct MailMessageTests {
    static let date = Date(timeIntervalSince1970: 1_779_358_272)  // Thu, 21 May 2026 10:11:12 +0000

    static func message(
        subject: String,
        from: MailAddress = MailAddress(name: "Herald News", address: "news@herald.example"),
        to: MailAddress = MailAddress(name: "Ana Löfgren", address: "ana@example.com"),
        replyTo: MailAddress? = nil,
        html: String,
        text: String? = nil,
        headers: [MailHeader] = []
    ) -> MailMessage {
        MailMessage(
            from: from, to: to, replyTo: replyTo, subject: subject, htmlBody: html, textBody: text,
            messageID: .stable(deliveryID: "d-42", recipientID: to.address, domain: "herald.example"),
            date: date,
            listUnsubscribe: ListUnsubscribe(url: "https://t.herald.example/u/tok-\(to.address)", mailto: "mailto:unsubscribe@herald.example?subject=tok"),
            extraHeaders: headers
        )
    }

    static let tricky: String = {
        let long = String(repeating: "x", count: 3000)
        let longWords = (0..<400).map { "word\($0)" }.joined(separator: " ")
        return [
            "First line with trailing spaces   ",
            ".starts with a dot",
            "..two dots",
            ".",
            "=starts with equals and has = inside =3D",
            "From the start, as mbox would mangle",
            "tab\tinside and at the end\t",
            long,
            longWords,
            "Ünïcødé: Grüße, déjà vu, 日本語のテキスト, emoji 😀👩‍👩‍👧‍👦🇸🇪",
            "",
            "last line",
        ].joined(separator: "\n")
    }()

    /// Every case the Python parser checks.
    static func cases() -> [(MailMessage, String)] {
        var out: [(MailMessage, String)] = []
        let plain = message(subject: "Hello", html: "<p>Hi</p>", text: "Hi there\nSecond line")
        out.append((plain, "Hi there\nSecond line"))
        let emoji = message(
            subject: "🎉 Soldes d'été : jusqu'à -50 % sur les crème brûlée 😀👩‍👩‍👧‍👦 — Ünïcødé Grüße aus Köln, ça va? " + String(repeating: "ñ", count: 60),
            from: MailAddress(name: "Équipe Hérald 📨", address: "news@herald.example"),
            to: MailAddress(name: "Zoë Ångström 👩‍🚀 \"the\" \\ one", address: "zoe@example.se"),
            replyTo: MailAddress(name: "Support Åsa", address: "support@herald.example"),
            html: "<html><head><style>p{color:red}</style><title>x</title></head><body><h1>Bonjour&nbsp;Zoë</h1><p>Voir <a href=\"https://herald.example/offre?a=1&amp;b=2\">l'offre</a> &amp; plus&hellip;</p><p>Fin &#128512; &#x1F389;</p></body></html>",
            text: nil
        )
        out.append((emoji, "Bonjour\u{A0}Zoë\n\nVoir l'offre [https://herald.example/offre?a=1&b=2] & plus…\n\nFin 😀 🎉".replacingOccurrences(of: "\u{A0}", with: " ")))
        let trickyText = message(subject: "Tricky bodies", replyTo: MailAddress(address: "bare@herald.example"), html: "<pre>" + tricky + "</pre>\n." + tricky, text: tricky)
        out.append((trickyText, tricky))
        let cjk = String(repeating: "日本語のテキストとРусский текст. ", count: 80)
        let mostlyNonASCII = message(subject: "日本語の件名", html: "<p>\(cjk)</p>", text: cjk, headers: [MailHeader(name: "X-Herald-Campaign", value: "Été 2026 — édition spéciale")])
        out.append((mostlyNonASCII, cjk))
        let longWord = message(
            subject: "A long ASCII subject " + String(repeating: "supercalifragilistic", count: 8) + " that still must fold nicely over several lines",
            from: MailAddress(name: "A Very Long Display Name That Goes On And On, Inc. (Marketing Department)", address: "m@herald.example"),
            to: MailAddress(name: "Équipe Hérald 📨 avec un nom très très long qui dépasse la ligne, vraiment très long et encore plus long que ça", address: "plain@example.org"),
            html: "<p>x</p>", text: "x",
            headers: [MailHeader(name: "X-Herald-Delivery", value: "d-42"), MailHeader(name: "X-Long", value: (0..<60).map { "v\($0)" }.joined(separator: " "))]
        )
        out.append((longWord, "x"))
        return out
    }

    @Test("Python's email package parses every header and part back to the inputs")
    func pythonParsesEverything() async throws {
        let directory = try TestSupport.temporaryDirectory("mime")
        var checks: [MessageCheck] = []
        for (index, (message, text)) in Self.cases().enumerated() {
            let file = directory.appendingPathComponent("m\(index).eml")
            try Data(message.rendered()).write(to: file)
            checks.append(MessageCheck(file: file, message: message, text: text))
        }
        try await MessageCheck.verify(checks, in: directory)
    }

    @Test("Lines are CRLF-terminated and at most 998 octets; encoded-words at most 75")
    func lineLimits() {
        for (message, _) in Self.cases() {
            let raw = message.rendered()
            var lineStart = 0
            for i in raw.indices where raw[i] == 10 {
                #expect(i > 0 && raw[i - 1] == 13)
                #expect(i - 1 - lineStart <= 998)
                lineStart = i + 1
            }
            let text = String(decoding: raw, as: UTF8.self)
            for word in text.split(whereSeparator: { $0 == " " || $0 == "\r\n" }) where word.hasPrefix("=?UTF-8?") {
                #expect(word.utf8.count <= 75, "\(word)")
            }
        }
    }

    @Test("Base64 is chosen when quoted-printable would be larger")
    func transferEncodingChoice() {
        let cases = Self.cases()
        let ascii = String(decoding: cases[0].0.rendered(), as: UTF8.self)
        #expect(!ascii.contains("Content-Transfer-Encoding: base64"))
        let cjk = String(decoding: cases[3].0.rendered(), as: UTF8.self)
        #expect(cjk.contains("Content-Transfer-Encoding: base64"))
    }

    @Test("Standard headers: Date, Message-ID, List-Unsubscribe, MIME-Version")
    func standardHeaders() {
        let text = String(decoding: Self.cases()[0].0.rendered(), as: UTF8.self)
        #expect(text.contains("Date: Thu, 21 May 2026 10:11:12 +0000\r\n"))
        #expect(text.contains("Message-ID: <herald.d-42.ana=40example=2Ecom@herald.example>\r\n"))
        #expect(text.contains("MIME-Version: 1.0\r\n"))
        #expect(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))
        #expect(text.contains("multipart/alternative; boundary=\"=_herald_"))
    }

    @Test("The Message-ID is stable and valid whatever the ids hold")
    func stableMessageID() {
        let a = MessageID.stable(deliveryID: "d 1", recipientID: "p@x", domain: "Herald.Example")
        #expect(a == MessageID.stable(deliveryID: "d 1", recipientID: "p@x", domain: "Herald.Example"))
        #expect(a != MessageID.stable(deliveryID: "d 1", recipientID: "p@y", domain: "Herald.Example"))
        #expect(a.description == "<herald.d=201.p=40x@Herald.Example>")
        let long = MessageID.stable(deliveryID: String(repeating: "é", count: 100), recipientID: "r", domain: "h.example")
        #expect(long.value.utf8.count < 60)
    }

    @Test("A header value cannot inject header lines")
    func headerInjection() {
        let message = Self.message(subject: "Hi\r\nBcc: victim@example.com", html: "<p>x</p>", headers: [MailHeader(name: "X-A\r\nBcc", value: "1\nBcc: v@x")])
        let text = String(decoding: message.rendered(), as: UTF8.self)
        #expect(!text.contains("\r\nBcc:"))
    }

    @Test(
        "HTML to text",
        arguments: [
            ("<p>Hello <b>World</b></p><p>Second</p>", "Hello World\n\nSecond"),
            ("<a href=\"https://x.example/a?b=1&amp;c=2\">Click</a>", "Click [https://x.example/a?b=1&c=2]"),
            ("<a href='https://x.example'>https://x.example</a>", "https://x.example"),
            ("a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &#233;&#xE9; &eacute; &bogus;", "a < b && c > d \"q\" éé é &bogus;"),
            ("<script>var x = '<p>';</script><style>p{}</style>Text  with\n\n  spaces", "Text with spaces"),
            ("<ul><li>One</li><li>Two</li></ul>", "- One\n- Two"),
            ("Line<br>break<br/>again", "Line\nbreak\nagain"),
            ("<!-- comment <p> -->kept<img src=\"p.gif\" alt=\"\">", "kept"),
            ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2"),
            // Upper-case ASCII tags and attributes, unquoted and quoted values (the tag is parsed on bytes).
            ("<P CLASS=x>Hi<IMG SRC=p.gif ALT='Logo &amp; co'><A\tHREF = https://x.example/a >go</A></P>", "HiLogo & cogo [https://x.example/a]"),
            // A non-ASCII tag, and a CRLF inside a tag (parsed as Unicode text: CRLF is one Character, so
            // `p\r\nclass=x` is the name of an unknown tag).
            ("<a title=\"é\" href=\"https://x.example/é\">lien é</a><p\r\nclass=x>z</p>", "lien é [https://x.example/é]z"),
        ]
    )
    func htmlToText(html: String, text: String) {
        #expect(HTMLText.text(fromHTML: html) == text)
    }

    @Test("RFC 5322 dates", arguments: [(0, "Thu, 1 Jan 1970 00:00:00 +0000"), (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"), (1_779_358_272, "Thu, 21 May 2026 10:11:12 +0000")])
    func dates(seconds: Int, expected: String) {
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: TimeInterval(seconds))) == expected)
    }
}
