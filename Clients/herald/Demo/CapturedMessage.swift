import Foundation

/// A message the capture relay wrote as an `.eml` file, read back the way a mail client
/// would: the recipient, and the HTML part decoded (quoted-printable or base64) so that
/// the tracking URLs in it can be found.
struct CapturedMessage: Sendable {
    /// The envelope recipient (`X-Herald-Envelope-To`, else `To`).
    var recipient: String
    /// The decoded text of the HTML part (every part when none is HTML).
    var html: String

    /// Parses the bytes of an `.eml` file.
    init(eml bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        let (headers, body) = Self.split(text)
        recipient = Self.header("X-Herald-Envelope-To", in: headers).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "<> ")) }
            ?? Self.header("To", in: headers) ?? ""
        var htmlParts: [String] = []
        var allParts: [String] = []
        if let boundary = Self.boundary(Self.header("Content-Type", in: headers) ?? "") {
            for part in body.components(separatedBy: "--" + boundary).dropFirst() where !part.hasPrefix("--") {
                let (partHeaders, partBody) = Self.split(String(part.drop { $0 == "\n" }))
                let decoded = Self.decode(partBody, encoding: Self.header("Content-Transfer-Encoding", in: partHeaders) ?? "")
                allParts.append(decoded)
                if (Self.header("Content-Type", in: partHeaders) ?? "").lowercased().hasPrefix("text/html") {
                    htmlParts.append(decoded)
                }
            }
        } else {
            allParts.append(Self.decode(body, encoding: Self.header("Content-Transfer-Encoding", in: headers) ?? ""))
        }
        html = (htmlParts.isEmpty ? allParts : htmlParts).joined(separator: "\n")
    }

    /// Every URL in the HTML that starts with `base` followed by `/kind/`, in order, once each.
    func trackingURLs(base: String, kind: String) -> [String] {
        let prefix = base + "/" + kind + "/"
        var found: [String] = []
        var rest = html[...]
        while let range = rest.range(of: prefix) {
            let end = rest[range.upperBound...].firstIndex { " \"'<>\n\t)".contains($0) } ?? rest.endIndex
            let url = String(rest[range.lowerBound..<end])
            if end > range.upperBound, !found.contains(url) { found.append(url) }
            rest = rest[end...]
        }
        return found
    }

    private static func split(_ text: String) -> (headers: String, body: String) {
        guard let range = text.range(of: "\n\n") else { return (text, "") }
        return (String(text[..<range.lowerBound]), String(text[range.upperBound...]))
    }

    /// The value of header `name` (unfolded), case-insensitively.
    private static func header(_ name: String, in headers: String) -> String? {
        let unfolded = headers.replacingOccurrences(of: "\n ", with: " ").replacingOccurrences(of: "\n\t", with: " ")
        let wanted = name.lowercased() + ":"
        for line in unfolded.split(separator: "\n") where line.lowercased().hasPrefix(wanted) {
            return line.dropFirst(wanted.count).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    private static func boundary(_ contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/"), let range = contentType.range(of: "boundary=") else { return nil }
        let value = contentType[range.upperBound...]
        if value.hasPrefix("\"") {
            return value.dropFirst().split(separator: "\"", maxSplits: 1).first.map(String.init)
        }
        return value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private static func decode(_ body: String, encoding: String) -> String {
        switch encoding.lowercased() {
        case "base64":
            let compact = body.filter { !$0.isWhitespace }
            return Data(base64Encoded: compact).map { String(decoding: $0, as: UTF8.self) } ?? body
        case "quoted-printable":
            return quotedPrintable(body)
        default:
            return body
        }
    }

    /// Decodes quoted-printable text: soft line breaks removed, `=XX` bytes restored.
    static func quotedPrintable(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "=") else {
                out.append(byte)
                i += 1
                continue
            }
            if i + 1 < bytes.count, bytes[i + 1] == 10 {
                i += 2  // soft line break
            } else if i + 2 < bytes.count, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(byte)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
