public import struct Foundation.Date
import Synchronization

/// Writes the RFC 5322 messages of one sender: ``MailMessage/rendered()``'s bytes, with the
/// fields that are the same in every message (`From`, `Reply-To`, the extra headers)
/// encoded once, when the composer is made. Keep one per delivery and call
/// ``render(to:subject:htmlBody:textBody:messageID:date:listUnsubscribe:)`` per recipient.
///
/// Each message is written into one buffer allocated at its final size's upper bound;
/// the text part derived from the HTML (when there is no text body) is written into a
/// scratch buffer and encoded from there.
///
/// What recurs from message to message is computed once per composer: the static text of
/// a delivery's template comes back in every message. Long chunks of a body (an HTML
/// piece from a `<` to the next of at least 64 bytes; the text of a run of HTML text of
/// at least 64 bytes, when that text is at least 32 bytes) start a quoted-printable line
/// (a soft break before them), so their encoding depends on their bytes alone; a
/// ``ChunkCache`` keeps, by their bytes, the encodings and the text of runs that were
/// seen twice, and later messages copy them. A message's bytes never depend on what the
/// cache holds. (``MailMessage/referenceRendered()`` breaks quoted-printable lines only
/// where they are full: the decoded content is the same.)
///
/// The boundary is `=_herald_<FNV-1a of the Message-ID>_<FNV-1a of the subject>`, in hex.
/// It starts with `=_`, which can occur in neither quoted-printable (where `=` is followed
/// by two hex digits or a line break) nor base64, so it cannot collide with the encoded
/// content. (``MailMessage/referenceRendered()`` hashes the HTML too.)
public struct MailComposer: Sendable {
    /// The `From` mailbox.
    public var from: MailAddress { storage.from }
    /// The `Reply-To` mailbox, if any.
    public var replyTo: MailAddress? { storage.replyTo }
    /// Extra header fields, written after the standard ones in this order.
    public var extraHeaders: [MailHeader] { storage.extraHeaders }

    /// Everything the composer keeps, behind one reference (a copy of the composer, made
    /// for each message's closures, retains one object).
    private let storage: Storage

    private final class Storage: Sendable {
        let from: MailAddress
        let replyTo: MailAddress?
        let extraHeaders: [MailHeader]
        /// The `From` field, written once.
        let senderFields: [UInt8]
        /// The `Reply-To` field (or nothing), written once.
        let replyToFields: [UInt8]
        /// The extra header fields, written once.
        let extraFields: [UInt8]
        /// The text of the long runs of HTML text of this composer's messages.
        let textRuns = ChunkCache<ScratchText.Run>()
        /// The quoted-printable encodings of the chunks of the HTML parts.
        let htmlChunks = ChunkCache<QuotedPrintable.Chunk>()
        /// The quoted-printable encodings of the chunks of the text parts derived from HTML.
        let textChunks = ChunkCache<QuotedPrintable.Chunk>()
        /// The last `Date` field written and its second (messages composed in the same
        /// second share it).
        let lastDate = Mutex<(second: Int64, field: [UInt8])?>(nil)

        /// The `Date` field of `date`: the same bytes as ``HeaderWriter/date(_:)``, which
        /// depend on the whole second alone.
        func dateField(_ date: Date) -> [UInt8] {
            let second = Int64(date.timeIntervalSince1970.rounded(.down))
            if let last = lastDate.withLock({ $0 }), last.second == second { return last.field }
            var writer = HeaderWriter(capacity: 48)
            writer.date(date)
            let field = writer.bytes
            lastDate.withLock { $0 = (second, field) }
            return field
        }

        init(from: MailAddress, replyTo: MailAddress?, extraHeaders: [MailHeader]) {
            self.from = from
            self.replyTo = replyTo
            self.extraHeaders = extraHeaders
            var sender = HeaderWriter(capacity: 256)
            sender.address("From", from)
            senderFields = sender.bytes
            var extra = HeaderWriter(capacity: 256)
            for header in extraHeaders {
                let name = HeaderWriter.sanitizeASCII(header.name).filter { $0 != ":" && $0 != " " }
                guard !name.isEmpty else { continue }
                extra.unstructured(name, header.value)
            }
            extraFields = extra.bytes
            replyToFields = replyTo.map {
                var writer = HeaderWriter(capacity: 128)
                writer.address("Reply-To", $0)
                return writer.bytes
            } ?? []
        }
    }

    /// Creates the composer of one sender's messages.
    public init(from: MailAddress, replyTo: MailAddress? = nil, extraHeaders: [MailHeader] = []) {
        storage = Storage(from: from, replyTo: replyTo, extraHeaders: extraHeaders)
    }

    /// How many chunks (runs of HTML text, their quoted-printable encodings and those of
    /// HTML pieces) this composer remembers from the messages it composed.
    var rememberedChunks: Int { storage.textRuns.count + storage.htmlChunks.count + storage.textChunks.count }

    /// The message to `to`: ``MailMessage/rendered()`` of a message with this composer's
    /// sender fields and the given ones.
    public func render(
        to: MailAddress, subject: String, htmlBody: String, textBody: String?, messageID: MessageID, date: Date,
        listUnsubscribe: ListUnsubscribe?
    ) -> [UInt8] {
        var html = htmlBody
        return html.withUTF8 { html in
            if var text = textBody {
                return text.withUTF8 { text in
                    write(
                        to: to, subject: subject, html: html, text: text, textChunks: [], messageID: messageID, date: date,
                        listUnsubscribe: listUnsubscribe
                    )
                }
            }
            return HTMLTextScanner.withText(fromHTML: html, runs: storage.textRuns) { text, chunks in
                write(
                    to: to, subject: subject, html: html, text: text, textChunks: chunks, messageID: messageID, date: date,
                    listUnsubscribe: listUnsubscribe
                )
            }
        }
    }

    private func write(
        to: MailAddress, subject: String, html: UnsafeBufferPointer<UInt8>, text: UnsafeBufferPointer<UInt8>,
        textChunks chunks: [QuotedPrintable.ChunkRange], messageID: MessageID, date: Date, listUnsubscribe: ListUnsubscribe?
    ) -> [UInt8] {
        let boundary = Self.boundary(messageID: messageID, subject: subject)
        let storage = storage
        var headers = HeaderWriter(capacity: 1024 + storage.senderFields.count + storage.replyToFields.count + storage.extraFields.count)
        headers.append(storage.dateField(date))
        headers.append(storage.senderFields)
        headers.address("To", to)
        headers.append(storage.replyToFields)
        headers.unstructured("Subject", subject)
        headers.messageID(messageID)
        headers.append(Self.mimeVersion)
        if let listUnsubscribe {
            if let mailto = listUnsubscribe.mailto {
                headers.list("List-Unsubscribe", [
                    "<\(listUnsubscribe.url)>",
                    mailto.hasASCIIPrefixIgnoringCase("mailto:") ? "<\(mailto)>" : "<mailto:\(mailto)>",
                ])
            } else {
                headers.listUnsubscribe(url: listUnsubscribe.url)
            }
            if listUnsubscribe.url.hasASCIIPrefixIgnoringCase("https://") {
                headers.append(Self.oneClick)
            }
        }
        headers.append(storage.extraFields)
        boundary.withUnsafeBufferPointer { boundary in
            headers.contentType(boundary: boundary)
        }
        headers.end()
        let head = headers.bytes
        // Both parts at their worst case (quoted-printable; base64 is shorter), their
        // headers and the boundaries: the buffer is never reallocated.
        let parts: Int = QuotedPrintable.maxChunkedEncodedLength(text.count) + QuotedPrintable.maxChunkedEncodedLength(html.count)
        let framing: Int = Self.preamble.count + 2 * (Self.partHeaderRoom + boundary.count) + 16 + boundary.count
        let capacity = head.count + framing + parts
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            guard let out = buffer.baseAddress else { return }
            var o = 0
            func put(_ bytes: UnsafeBufferPointer<UInt8>) { Self.put(bytes, out: out, at: &o) }
            head.withUnsafeBufferPointer { put($0) }
            Self.preamble.withUnsafeBufferPointer { put($0) }
            boundary.withUnsafeBufferPointer { boundary in
                Self.writePart(
                    text, plain: true, chunks: chunks, cache: chunks.isEmpty ? nil : storage.textChunks, boundary: boundary, out: out,
                    at: &o
                )
                Self.writePart(
                    html, plain: false,
                    chunks: QuotedPrintable.HTMLPieces(html).lazy.map { QuotedPrintable.ChunkRange(range: $0, known: nil) },
                    cache: storage.htmlChunks, boundary: boundary,
                    out: out, at: &o
                )
                Self.closingStart.withUnsafeBufferPointer { put($0) }
                put(boundary)
                Self.closingEnd.withUnsafeBufferPointer { put($0) }
            }
            initialized = o
        }
    }

    private static let mimeVersion = Array("MIME-Version: 1.0\r\n".utf8)
    private static let oneClick = Array("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n".utf8)
    private static let preamble = Array("This is a multi-part message in MIME format.\r\n".utf8)
    private static let closingStart = Array("\r\n--".utf8)
    private static let closingEnd = Array("--\r\n".utf8)
    private static let plainType = Array("Content-Type: text/plain; charset=utf-8\r\n".utf8)
    private static let htmlType = Array("Content-Type: text/html; charset=utf-8\r\n".utf8)
    private static let quotedPrintable = Array("Content-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
    private static let base64 = Array("Content-Transfer-Encoding: base64\r\n\r\n".utf8)
    /// A part's header lines and the "\r\n--" and CRLF around its boundary.
    private static let partHeaderRoom = 6 + plainType.count + quotedPrintable.count

    /// One part: quoted-printable first (the usual choice), each chunk starting a line
    /// (``QuotedPrintable/encode(_:to:chunks:cache:)``), counting on the way what decides
    /// between the two; base64 instead when that is shorter.
    private static func writePart(
        _ body: UnsafeBufferPointer<UInt8>, plain: Bool, chunks: some Sequence<QuotedPrintable.ChunkRange>,
        cache: ChunkCache<QuotedPrintable.Chunk>?, boundary: UnsafeBufferPointer<UInt8>, out: UnsafeMutablePointer<UInt8>,
        at o: inout Int
    ) {
        let partStart = o
        writePartHeader(plain: plain, base64: false, boundary: boundary, out: out, at: &o)
        let (written, escaped) = QuotedPrintable.encode(body, to: out + o, chunks: chunks, cache: cache)
        o += written
        let quotedPrintableLength = QuotedPrintable.estimatedLength(count: body.count, escaped: escaped)
        guard Base64.encodedLength(body.count) * 78 / 76 < quotedPrintableLength else { return }
        o = partStart
        writePartHeader(plain: plain, base64: true, boundary: boundary, out: out, at: &o)
        // Line breaks normalised to CRLF first, as a text body's canonical form.
        let canonical = Base64.canonicalText(body)
        var encoded: [UInt8] = []
        encoded.reserveCapacity(Base64.encodedLength(canonical.count) * 78 / 76 + 4)
        Base64.encode(canonical, lineLength: 76, into: &encoded)
        encoded.withUnsafeBufferPointer { put($0, out: out, at: &o) }
    }

    /// Copies `bytes` to `out` at `o` and moves `o` past them.
    private static func put(_ bytes: UnsafeBufferPointer<UInt8>, out: UnsafeMutablePointer<UInt8>, at o: inout Int) {
        guard let base = bytes.baseAddress else { return }
        (out + o).initialize(from: base, count: bytes.count)
        o += bytes.count
    }

    private static func writePartHeader(
        plain: Bool, base64 isBase64: Bool, boundary: UnsafeBufferPointer<UInt8>, out: UnsafeMutablePointer<UInt8>,
        at o: inout Int
    ) {
        func put(_ bytes: UnsafeBufferPointer<UInt8>) { Self.put(bytes, out: out, at: &o) }
        closingStart.withUnsafeBufferPointer { put($0) }
        put(boundary)
        out[o] = 13
        out[o + 1] = 10
        o += 2
        (plain ? plainType : htmlType).withUnsafeBufferPointer { put($0) }
        (isBase64 ? base64 : quotedPrintable).withUnsafeBufferPointer { put($0) }
    }

    /// `=_herald_` + the FNV-1a of the Message-ID's value + `_` + that of the subject, in
    /// lower-case hex without leading zeros.
    static func boundary(messageID: MessageID, subject: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(9 + 16 + 1 + 16)
        out.append(contentsOf: "=_herald_".utf8)
        let (idHash, subjectHash) = MessageID.fnv1a(messageID.value, subject)
        appendHex(idHash, to: &out)
        out.append(UInt8(ascii: "_"))
        appendHex(subjectHash, to: &out)
        return out
    }

    private static func appendHex(_ value: UInt64, to out: inout [UInt8]) {
        var shift = 60
        while shift > 0 && (value >> UInt64(shift)) & 0xF == 0 { shift -= 4 }
        while shift >= 0 {
            let digit = UInt8((value >> UInt64(shift)) & 0xF)
            out.append(digit < 10 ? 48 + digit : 87 + digit)
            shift -= 4
        }
    }
}
