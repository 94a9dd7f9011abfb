import Foundation

/// A `multipart/alternative` message of ``HeraldMail``'s writers taken apart, its bodies
/// decoded: what two writers must agree on when their encodings may legitimately differ
/// (where quoted-printable puts its soft line breaks).
struct DecodedMessage: Equatable, CustomStringConvertible {
    /// The header block, the boundary replaced by `BOUNDARY`.
    var headers: String
    /// Each part: its header lines and its decoded body.
    var parts: [Part]

    struct Part: Equatable {
        var headers: String
        var body: [UInt8]
    }

    /// Why the bytes are not such a message, when they are not.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    var description: String {
        headers + parts.map { "\n--\n" + $0.headers + "\n" + String(decoding: $0.body, as: UTF8.self) }.joined()
    }

    /// Parses and decodes `bytes`; checks on the way that every body line is at most 76
    /// characters, that quoted-printable lines never end with a space or a tab, and that
    /// no line holds a bare CR or LF.
    init(_ bytes: [UInt8]) throws(Malformed) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n") else { throw Malformed(description: "no end of headers") }
        let head = String(text[..<headerEnd.upperBound])
        guard let start = head.range(of: "boundary=\""), let end = head[start.upperBound...].firstIndex(of: "\"") else {
            throw Malformed(description: "no boundary")
        }
        let boundary = String(head[start.upperBound..<end])
        headers = head.replacingOccurrences(of: boundary, with: "BOUNDARY")
        let body = String(text[headerEnd.upperBound...])
        guard body.hasSuffix("\r\n--\(boundary)--\r\n") else { throw Malformed(description: "no closing boundary") }
        var pieces = body.dropLast("\r\n--\(boundary)--\r\n".count).components(separatedBy: "\r\n--\(boundary)\r\n")
        guard pieces.removeFirst() == "This is a multi-part message in MIME format.\r\n" else { throw Malformed(description: "preamble") }
        parts = []
        for piece in pieces {
            guard let partHeaderEnd = piece.range(of: "\r\n\r\n") else { throw Malformed(description: "part without headers") }
            let partHeaders = String(piece[..<partHeaderEnd.lowerBound])
            let encoded = String(piece[partHeaderEnd.upperBound...])
            for line in encoded.components(separatedBy: "\r\n") {
                guard line.utf8.count <= 76 else { throw Malformed(description: "body line of \(line.utf8.count) characters") }
                guard !line.contains("\r") && !line.contains("\n") else { throw Malformed(description: "bare CR or LF") }
            }
            if partHeaders.hasSuffix("Content-Transfer-Encoding: base64") {
                guard let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                    throw Malformed(description: "bad base64")
                }
                parts.append(Part(headers: partHeaders, body: Array(data)))
            } else if partHeaders.hasSuffix("Content-Transfer-Encoding: quoted-printable") {
                parts.append(Part(headers: partHeaders, body: try Self.decodeQuotedPrintable(Array(encoded.utf8))))
            } else {
                throw Malformed(description: "unknown encoding in \(partHeaders)")
            }
        }
    }

    /// Strict quoted-printable decoding: `=XX` (upper-case hex), soft breaks (`=` CRLF),
    /// CRLF hard breaks, other bytes printable ASCII, space or tab, never a space or tab
    /// before a line end.
    static func decodeQuotedPrintable(_ encoded: [UInt8]) throws(Malformed) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 48...57: b - 48
            case 65...70: b - 55
            default: nil
            }
        }
        while i < encoded.count {
            let b = encoded[i]
            if b == UInt8(ascii: "=") {
                if i + 2 < encoded.count, encoded[i + 1] == 13, encoded[i + 2] == 10 {
                    i += 3
                    continue
                }
                guard i + 2 < encoded.count, let high = hex(encoded[i + 1]), let low = hex(encoded[i + 2]) else {
                    throw Malformed(description: "bad escape at \(i)")
                }
                out.append(high << 4 | low)
                i += 3
            } else if b == 13 {
                guard i + 1 < encoded.count, encoded[i + 1] == 10 else { throw Malformed(description: "bare CR at \(i)") }
                if let last = out.last, last == 32 || last == 9, i > 0, encoded[i - 1] == last {
                    throw Malformed(description: "white space before a line break at \(i)")
                }
                out.append(contentsOf: [13, 10])
                i += 2
            } else {
                guard (b >= 33 && b <= 126) || b == 32 || b == 9 else { throw Malformed(description: "byte \(b) at \(i)") }
                out.append(b)
                i += 1
            }
        }
        if let last = encoded.last, last == 32 || last == 9 { throw Malformed(description: "white space at the end") }
        return out
    }
}
