internal import NIOCore
internal import NIOPosix

/// One SMTP server session of the capture relay. Lines that arrive while a message is
/// being written to disk wait in order, so pipelined commands are answered in order and
/// the 250 after DATA means the file is in place.
final class CaptureSessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case command
        case data
    }

    private let configuration: CaptureRelay.Configuration
    private let store: CaptureStore
    private var state = State.command
    private var sender: String?
    private var recipients: [String] = []
    private var message: [UInt8] = []
    private var tooLarge = false
    private var waiting = CircularBuffer<ByteBuffer>()
    private var busy = false
    private var verbsThisRead: Set<String> = []
    private var messagesOnConnection = 0

    init(configuration: CaptureRelay.Configuration, store: CaptureStore) {
        self.configuration = configuration
        self.store = store
    }

    func channelActive(context: ChannelHandlerContext) {
        store.statistics.withLock { $0.connections += 1 }
        reply(context, "220 \(configuration.hostname) ESMTP Herald capture relay")
        context.flush()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        if busy || !waiting.isEmpty {
            // `busy`: the previous message is being stored, its 250 not sent yet.
            if busy, Self.isMail(line) { store.statistics.withLock { $0.envelopesBeforeReply += 1 } }
            waiting.append(line)
        } else {
            process(context, line)
        }
    }

    private static func isMail(_ line: ByteBuffer) -> Bool {
        guard let head = line.getBytes(at: line.readerIndex, length: min(5, line.readableBytes)), head.count == 5 else { return false }
        return head.map { $0 & 0xDF } == Array("MAIL ".utf8).map { $0 & 0xDF }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        verbsThisRead.removeAll()
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is LineDecoder.LineTooLong {
            reply(context, "500 5.5.6 line too long")
            context.flush()
        }
        context.close(promise: nil)
    }

    private func process(_ context: ChannelHandlerContext, _ line: ByteBuffer) {
        if state == .data {
            receiveData(context, line)
            return
        }
        let text = String(buffer: line)
        let verb = text.prefix { $0 != " " }.uppercased()
        let argument = String(text.dropFirst(verb.count).drop { $0 == " " })
        verbsThisRead.insert(verb)
        store.statistics.withLock { $0.commands += 1 }
        switch verb {
        case "EHLO":
            resetTransaction()
            var lines = [configuration.hostname]
            if configuration.advertisesPipelining { lines.append("PIPELINING") }
            lines += ["8BITMIME", "SIZE \(configuration.maxMessageSize)", "ENHANCEDSTATUSCODES"]
            for (index, line) in lines.enumerated() {
                reply(context, "250\(index == lines.count - 1 ? " " : "-")\(line)")
            }
        case "HELO":
            resetTransaction()
            reply(context, "250 \(configuration.hostname)")
        case "MAIL":
            guard let address = Self.path(argument, after: "FROM:") else {
                reply(context, "501 5.5.4 syntax: MAIL FROM:<address>")
                return
            }
            resetTransaction()
            sender = address
            reply(context, "250 2.1.0 sender ok")
        case "RCPT":
            guard sender != nil else {
                reply(context, "503 5.5.1 MAIL first")
                return
            }
            guard let address = Self.path(argument, after: "TO:"), !address.isEmpty else {
                reply(context, "501 5.5.4 syntax: RCPT TO:<address>")
                return
            }
            switch configuration.recipientResponses[address.lowercased()] {
            case .reply(let code, let text)?:
                reply(context, "\(code) \(text)")
            case .garbage?:
                reply(context, "this is not an SMTP reply")
            case .disconnect?:
                context.close(promise: nil)
            case nil:
                recipients.append(address)
                reply(context, "250 2.1.5 recipient ok")
            }
        case "DATA":
            guard !recipients.isEmpty else {
                reply(context, "554 5.5.1 no valid recipients")
                return
            }
            if verbsThisRead.contains("MAIL") && verbsThisRead.contains("RCPT") {
                store.statistics.withLock { $0.pipelinedTransactions += 1 }
            }
            state = .data
            message.removeAll(keepingCapacity: true)
            tooLarge = false
            reply(context, "354 end data with <CR><LF>.<CR><LF>")
        case "RSET":
            resetTransaction()
            reply(context, "250 2.0.0 reset")
        case "NOOP":
            reply(context, "250 2.0.0 ok")
        case "QUIT":
            reply(context, "221 2.0.0 bye")
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        default:
            reply(context, "502 5.5.2 command not recognized")
        }
    }

    private func receiveData(_ context: ChannelHandlerContext, _ line: ByteBuffer) {
        var line = line
        if line.readableBytes == 1 && line.readableBytesView.first == UInt8(ascii: ".") {
            finishMessage(context)
            return
        }
        if line.readableBytesView.first == UInt8(ascii: ".") { line.moveReaderIndex(forwardBy: 1) }
        guard !tooLarge else { return }
        message.append(contentsOf: line.readableBytesView)
        message.append(13)
        message.append(10)
        if message.count > configuration.maxMessageSize {
            tooLarge = true
            message.removeAll()
        }
    }

    private func finishMessage(_ context: ChannelHandlerContext) {
        state = .command
        guard !tooLarge else {
            resetTransaction()
            reply(context, "552 5.3.4 message too large")
            return
        }
        busy = true
        let store = self.store
        let sender = self.sender ?? ""
        let recipients = self.recipients
        let data = message
        message = []
        NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) {
            try store.store(sender: sender, recipients: recipients, data: data)
        }.assumeIsolated().whenComplete { result in
            self.busy = false
            self.resetTransaction()
            switch result {
            case .success(let name):
                self.store.statistics.withLock { $0.messages += 1 }
                self.messagesOnConnection += 1
                self.reply(context, "250 2.0.0 stored as \(name)")
            case .failure(let error):
                self.reply(context, "451 4.3.0 could not store the message: \(error)")
            }
            context.flush()
            if let limit = self.configuration.closeAfterMessages, self.messagesOnConnection >= limit {
                context.close(promise: nil)
                return
            }
            while !self.busy, let next = self.waiting.popFirst() {
                self.process(context, next)
            }
            context.flush()
        }
    }

    private func resetTransaction() {
        sender = nil
        recipients = []
    }

    private func reply(_ context: ChannelHandlerContext, _ line: String) {
        var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeStaticString("\r\n")
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    /// The address in `FROM:<a@b> SIZE=…` or `TO:<a@b>`; `nil` when malformed.
    private static func path(_ argument: String, after keyword: String) -> String? {
        guard argument.uppercased().hasPrefix(keyword) else { return nil }
        let rest = argument.dropFirst(keyword.count).drop { $0 == " " }
        guard rest.first == "<", let close = rest.firstIndex(of: ">") else { return nil }
        return String(rest[rest.index(after: rest.startIndex)..<close])
    }
}
