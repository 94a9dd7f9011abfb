extension MailMessage {
    /// The straightforward writer that ``rendered()`` (``MailComposer``) replaced, kept as
    /// the reference that the composer is tested against and that `make bench-compose`
    /// measures it beside: the same headers except the boundary, whose second hash covers
    /// the subject and the whole HTML here (only the subject in ``MailComposer``), and
    /// the same decoded parts (``MailComposer`` also starts a quoted-printable line at
    /// each long chunk of a body, with a soft break).
    ///
    /// Headers: `Date`, `From`, `To`, `Reply-To`, `Subject`, `Message-ID`, `MIME-Version`,
    /// `List-Unsubscribe` and `List-Unsubscribe-Post`, the extra headers, then a
    /// `multipart/alternative` body with the text part first and the HTML part last.
    /// Each body is quoted-printable, or base64 when that is shorter.
    public func referenceRendered() -> [UInt8] {
        let html = Array(htmlBody.utf8)
        let text = textBody.map { Array($0.utf8) } ?? HTMLText.utf8(fromHTML: html)
        // Room for the headers and both parts at their quoted-printable worst case (which
        // the encoder reserves before writing): the buffer is never reallocated.
        let bodies = text.count + html.count
        var headers = HeaderWriter(capacity: 2048 + bodies * 3 + bodies * 3 / 25 + 8, referenceWords: true)
        headers.raw("Date", RFC5322Date.format(date))
        headers.address("From", from)
        headers.address("To", to)
        if let replyTo { headers.address("Reply-To", replyTo) }
        headers.unstructured("Subject", subject)
        headers.raw("Message-ID", HeaderWriter.sanitizeASCII(messageID.description))
        headers.raw("MIME-Version", "1.0")
        if let listUnsubscribe {
            var targets = ["<\(listUnsubscribe.url)>"]
            if let mailto = listUnsubscribe.mailto {
                targets.append(mailto.hasASCIIPrefixIgnoringCase("mailto:") ? "<\(mailto)>" : "<mailto:\(mailto)>")
            }
            headers.list("List-Unsubscribe", targets)
            if listUnsubscribe.url.hasASCIIPrefixIgnoringCase("https://") {
                headers.raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
            }
        }
        for header in extraHeaders {
            let name = HeaderWriter.sanitizeASCII(header.name).filter { $0 != ":" && $0 != " " }
            guard !name.isEmpty else { continue }
            headers.unstructured(name, header.value)
        }
        let boundary = "=_herald_" + String(MessageID.fnv1a(messageID.value), radix: 16)
            + "_" + String(MessageID.fnv1a(html, continuing: MessageID.fnv1a(subject)), radix: 16)
        headers.raw("Content-Type", "multipart/alternative; boundary=\"\(boundary)\"")
        headers.end()

        var out = headers.bytes
        headers = HeaderWriter(capacity: 0)  // `out` is now the only owner: no copy on append.
        out.append(contentsOf: "This is a multi-part message in MIME format.\r\n".utf8)
        Self.appendPart(text, subtype: "plain", boundary: boundary, into: &out)
        Self.appendPart(html, subtype: "html", boundary: boundary, into: &out)
        out.append(contentsOf: "\r\n--\(boundary)--\r\n".utf8)
        return out
    }

    private static func appendPart(_ body: [UInt8], subtype: String, boundary: String, into out: inout [UInt8]) {
        // Quoted-printable first (the usual choice), counting on the way what decides
        // between the two; base64 instead when that is shorter.
        let partStart = out.count
        appendPartHeader(subtype: subtype, encoding: "quoted-printable", boundary: boundary, into: &out)
        let escaped = QuotedPrintable.encode(body, into: &out)
        let quotedPrintableLength = QuotedPrintable.estimatedLength(count: body.count, escaped: escaped)
        guard Base64.encodedLength(body.count) * 78 / 76 < quotedPrintableLength else { return }
        out.removeLast(out.count - partStart)
        appendPartHeader(subtype: subtype, encoding: "base64", boundary: boundary, into: &out)
        // Line breaks normalised to CRLF first, as a text body's canonical form.
        let canonical = Base64.canonicalText(body)
        Base64.encode(canonical, lineLength: 76, into: &out)
    }

    private static func appendPartHeader(subtype: String, encoding: String, boundary: String, into out: inout [UInt8]) {
        out.append(contentsOf: "\r\n--\(boundary)\r\n".utf8)
        out.append(contentsOf: "Content-Type: text/\(subtype); charset=utf-8\r\n".utf8)
        out.append(contentsOf: "Content-Transfer-Encoding: \(encoding)\r\n\r\n".utf8)
    }
}
