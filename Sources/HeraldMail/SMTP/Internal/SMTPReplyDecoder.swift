internal import NIOCore

/// Decodes SMTP replies, multi-line ones included (`250-…` lines, then `250 …`).
/// Anything that is not a reply line throws ``SMTPError/Code/protocolError``.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    static let maxLineLength = 4096
    static let maxLines = 256

    private var code: Int?
    private var enhanced: String?
    private var lines: [String] = []

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: 10) else {
            if buffer.readableBytes > Self.maxLineLength {
                throw SMTPError(.protocolError, "reply line longer than \(Self.maxLineLength) bytes")
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var line = buffer.readBytes(length: length + 1)!
        line.removeLast()
        if line.last == 13 { line.removeLast() }
        try consume(line, context: context)
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    private mutating func consume(_ line: [UInt8], context: ChannelHandlerContext) throws {
        guard line.count >= 3,
            let c0 = digit(line[0]), let c1 = digit(line[1]), let c2 = digit(line[2]),
            (2...5).contains(c0),
            line.count == 3 || line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-")
        else {
            throw SMTPError(.protocolError, "not an SMTP reply: \(String(decoding: line.prefix(80), as: UTF8.self).debugDescription)")
        }
        let lineCode = c0 * 100 + c1 * 10 + c2
        if let code, code != lineCode {
            throw SMTPError(.protocolError, "reply code changed within a multi-line reply (\(code) then \(lineCode))")
        }
        var text = line.count > 4 ? String(decoding: line[4...], as: UTF8.self) : ""
        if code == nil {
            code = lineCode
            if let (enhancedCode, rest) = Self.splitEnhancedCode(text, replyClass: c0) {
                enhanced = enhancedCode
                text = rest
            }
        } else if let enhanced, text.hasPrefix(enhanced) {
            text = String(text.dropFirst(enhanced.count).drop { $0 == " " })
        }
        lines.append(text)
        if lines.count > Self.maxLines {
            throw SMTPError(.protocolError, "reply longer than \(Self.maxLines) lines")
        }
        if line.count > 3 && line[3] == UInt8(ascii: "-") { return }
        let reply = SMTPReply(code: lineCode, enhancedCode: enhanced, lines: lines)
        code = nil
        enhanced = nil
        lines = []
        context.fireChannelRead(wrapInboundOut(reply))
    }

    private func digit(_ b: UInt8) -> Int? {
        (48...57).contains(b) ? Int(b - 48) : nil
    }

    /// `("5.1.1", "user unknown")` from `"5.1.1 user unknown"` when the class matches.
    static func splitEnhancedCode(_ text: String, replyClass: Int) -> (String, String)? {
        let token = text.prefix { $0 != " " }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "\(replyClass)",
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        return (String(token), String(text.dropFirst(token.count).drop { $0 == " " }))
    }
}
