internal import NIOCore

/// Splits the inbound stream into lines (without CR LF); refuses lines over a limit.
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let maxLineLength: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: 10) else {
            if buffer.readableBytes > maxLineLength { throw LineTooLong() }
            return .needMoreData
        }
        var line = buffer.readSlice(length: newline - buffer.readerIndex + 1)!
        line.moveWriterIndex(to: line.writerIndex - 1)
        if line.readableBytesView.last == 13 { line.moveWriterIndex(to: line.writerIndex - 1) }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    struct LineTooLong: Error {}
}
