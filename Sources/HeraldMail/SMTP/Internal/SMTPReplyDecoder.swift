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
        guard let line = try nextLine(&buffer) else { return .needMoreData }
        if let reply = line { context.fireChannelRead(wrapInboundOut(reply)) }
        return .continue
    }

    /// The next complete reply in `buffer` (whose reader index moves past the lines
    /// read), or `nil` when the bytes do not make one yet. What ``SMTPClientHandler``
    /// calls on each read.
    mutating func nextReply(_ buffer: inout ByteBuffer) throws -> SMTPReply? {
        while let line = try nextLine(&buffer) {
            if let reply = line { return reply }
        }
        return nil
    }

    /// Reads one line: `nil` when no whole line is there, `.some(nil)` for a line that
    /// does not end a reply, the reply a line completes.
    private mutating func nextLine(_ buffer: inout ByteBuffer) throws -> SMTPReply?? {
        // The line is read in place (no copy); the reader index moves past it.
        let parsed = try buffer.withUnsafeReadableBytes { raw -> (consumed: Int, reply: SMTPReply?)? in
            try raw.withMemoryRebound(to: UInt8.self) { bytes -> (consumed: Int, reply: SMTPReply?)? in
                guard let newline = bytes.firstIndex(of: 10) else { return nil }
                var end = newline
                if end > 0 && bytes[end - 1] == 13 { end -= 1 }
                return (newline + 1, try consume(UnsafeBufferPointer(rebasing: bytes[..<end])))
            }
        }
        guard let parsed else {
            if buffer.readableBytes > Self.maxLineLength {
                throw SMTPError(.protocolError, "reply line longer than \(Self.maxLineLength) bytes")
            }
            return nil
        }
        buffer.moveReaderIndex(forwardBy: parsed.consumed)
        return .some(parsed.reply)
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    /// Takes one line; returns the reply it completes, if it does.
    private mutating func consume(_ line: UnsafeBufferPointer<UInt8>) throws -> SMTPReply? {
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
        let rest = UnsafeBufferPointer(rebasing: line[min(4, line.count)...])
        var text: String
        if code == nil {
            code = lineCode
            if let (enhancedCode, after) = Self.splitEnhancedCode(rest, replyClass: c0) {
                enhanced = enhancedCode
                text = after
            } else {
                text = String(decoding: rest, as: UTF8.self)
            }
        } else if let enhanced, rest.starts(with: enhanced.utf8) {
            text = String(decoding: rest.dropFirst(enhanced.utf8.count).drop { $0 == UInt8(ascii: " ") }, as: UTF8.self)
        } else {
            text = String(decoding: rest, as: UTF8.self)
        }
        lines.append(text)
        if lines.count > Self.maxLines {
            throw SMTPError(.protocolError, "reply longer than \(Self.maxLines) lines")
        }
        if line.count > 3 && line[3] == UInt8(ascii: "-") { return nil }
        let reply = SMTPReply(code: lineCode, enhancedCode: enhanced, lines: lines)
        code = nil
        enhanced = nil
        lines = []
        return reply
    }

    private func digit(_ b: UInt8) -> Int? {
        (48...57).contains(b) ? Int(b - 48) : nil
    }

    /// `("5.1.1", "user unknown")` from `"5.1.1 user unknown"` when the class matches
    /// (parsed on the UTF-8 bytes: this runs for every reply).
    static func splitEnhancedCode(_ bytes: UnsafeBufferPointer<UInt8>, replyClass: Int) -> (String, String)? {
        let tokenEnd = bytes.firstIndex(of: UInt8(ascii: " ")) ?? bytes.count
        guard tokenEnd >= 5, bytes[0] == UInt8(ascii: "0") + UInt8(replyClass), bytes[1] == UInt8(ascii: ".") else {
            return nil
        }
        // class "." 1-3 digits "." 1-3 digits
        var i = 2
        for part in 0..<2 {
            let start = i
            while i < tokenEnd, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
            guard (1...3).contains(i - start) else { return nil }
            if part == 0 {
                guard i < tokenEnd, bytes[i] == UInt8(ascii: ".") else { return nil }
                i += 1
            }
        }
        guard i == tokenEnd else { return nil }
        var restStart = tokenEnd
        while restStart < bytes.count, bytes[restStart] == UInt8(ascii: " ") { restStart += 1 }
        return (
            String(decoding: UnsafeBufferPointer(rebasing: bytes[..<tokenEnd]), as: UTF8.self),
            String(decoding: UnsafeBufferPointer(rebasing: bytes[restStart...]), as: UTF8.self)
        )
    }
}
