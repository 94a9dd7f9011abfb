internal import NIOCore

/// Decodes the relay's replies (``SMTPReplyDecoder``, in this handler: no message per
/// reply through the pipeline), matches them to requests in order (pipelined requests
/// expect several replies), fails every pending request when the connection closes,
/// errs, sends something that is not a reply or a step times out. Replies that arrive
/// with no request waiting (the greeting, an unsolicited 421) are kept for the next
/// request.
final class SMTPClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = SMTPClientRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var expected: Int
        var replies: [SMTPReply]
        /// Where the result goes (``SMTPClientRequest/exchange``, ``SMTPClientRequest/index``).
        var exchange: SMTPExchange?
        var index: Int
        /// When the request fails if its replies are not all in, and the wait it allows.
        var deadline: NIODeadline
        var timeout: TimeAmount
        var followUp: ByteBuffer?
        var followUpTimeout: TimeAmount
    }

    private var pending = CircularBuffer<Pending>()
    private var decoder = SMTPReplyDecoder()
    /// Received bytes that do not make a whole line yet.
    private var partial: ByteBuffer?
    private var unclaimed: [SMTPReply] = []
    private var failure: SMTPError?
    /// One timer for all pending requests, at (or before) the earliest deadline: a
    /// request does not schedule and cancel a timer of its own (two per message).
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.complete(.failure(failure))
            promise?.fail(failure)
            return
        }
        var entry = Pending(
            expected: request.replyCount, replies: [], exchange: request.exchange, index: request.index,
            deadline: .now() + request.timeout, timeout: request.timeout,
            followUp: request.followUp, followUpTimeout: request.followUpTimeout
        )
        entry.replies.reserveCapacity(request.replyCount + (request.followUp == nil ? 0 : 1))
        while entry.replies.count < entry.expected, !unclaimed.isEmpty {
            entry.replies.append(unclaimed.removeFirst())
        }
        armTimer(context, for: entry.deadline)
        pending.append(entry)
        if let bytes = request.bytes {
            context.write(wrapOutboundOut(bytes), promise: promise)
        } else {
            promise?.succeed()
        }
        if entry.replies.count == entry.expected {
            completeHead(context: context)
        }
    }

    /// Makes sure the timer fires no later than `deadline`.
    private func armTimer(_ context: ChannelHandlerContext, for deadline: NIODeadline) {
        if let timerDeadline, timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.timerFired(context: context)
        }
    }

    /// Fails everything when a pending request is past its deadline; otherwise waits for
    /// the earliest deadline still pending.
    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        timerDeadline = nil
        let now = NIODeadline.now()
        if let expired = pending.first(where: { $0.deadline <= now }) {
            fail(context: context, SMTPError(.timeout, "no reply within \(expired.timeout.nanoseconds / 1_000_000) ms"))
            return
        }
        if let earliest = pending.map(\.deadline).min() {
            armTimer(context, for: earliest)
        }
    }

    /// The head request has all its replies: write its follow-up or complete it.
    private func completeHead(context: ChannelHandlerContext) {
        let index = pending.startIndex
        if let followUp = pending[index].followUp, pending[index].replies.last?.code == 354,
            pending[index].replies.dropLast().allSatisfy(\.isPositive)
        {
            // Changed in place (no copy of the entry).
            pending[index].followUp = nil
            pending[index].expected += 1
            pending[index].timeout = pending[index].followUpTimeout
            pending[index].deadline = .now() + pending[index].followUpTimeout
            armTimer(context, for: pending[index].deadline)
            context.writeAndFlush(wrapOutboundOut(followUp), promise: nil)
            return
        }
        // The timer stays armed when nothing is pending any more: when it fires it finds
        // nothing expired and is armed again only for a request then pending.
        let head = pending.removeFirst()
        head.exchange?.complete(head.index, .success(head.replies))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var kept = partial {
            partial = nil
            kept.writeBuffer(&buffer)
            buffer = kept
        }
        do {
            while failure == nil, let reply = try decoder.nextReply(&buffer) {
                received(reply, context: context)
            }
        } catch {
            fail(context: context, error as? SMTPError ?? SMTPError(.protocolError, "\(error)"))
            return
        }
        if buffer.readableBytes > 0, failure == nil {
            buffer.discardReadBytes()
            partial = buffer
        }
    }

    private func received(_ reply: SMTPReply, context: ChannelHandlerContext) {
        guard !pending.isEmpty else {
            unclaimed.append(reply)
            return
        }
        let head = pending.startIndex
        pending[head].replies.append(reply)
        if pending[head].replies.count == pending[head].expected {
            completeHead(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(context: context, SMTPError(.connectionClosed, "the relay closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let smtpError = error as? SMTPError ?? SMTPError(.connectionClosed, "\(error)")
        fail(context: context, smtpError)
    }

    private func fail(context: ChannelHandlerContext, _ error: SMTPError) {
        if failure == nil { failure = error }
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        while let entry = pending.popFirst() {
            entry.exchange?.complete(entry.index, .failure(error))
        }
        context.close(promise: nil)
    }
}
