internal import NIOCore

/// Matches replies to requests in order (pipelined requests expect several replies),
/// fails every pending request when the connection closes, errs or a step times out.
/// Replies that arrive with no request waiting (the greeting, an unsolicited 421) are
/// kept for the next request.
final class SMTPClientHandler: ChannelDuplexHandler {
    typealias InboundIn = SMTPReply
    typealias OutboundIn = SMTPClientRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var expected: Int
        var replies: [SMTPReply]
        var promise: EventLoopPromise<[SMTPReply]>
        var timer: Scheduled<Void>?
        var followUp: ByteBuffer?
        var followUpTimeout: TimeAmount
    }

    private var pending = CircularBuffer<Pending>()
    private var unclaimed: [SMTPReply] = []
    private var failure: SMTPError?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.promise.fail(failure)
            promise?.fail(failure)
            return
        }
        var entry = Pending(
            expected: request.replyCount, replies: [], promise: request.promise, timer: nil,
            followUp: request.followUp, followUpTimeout: request.followUpTimeout
        )
        while entry.replies.count < entry.expected, !unclaimed.isEmpty {
            entry.replies.append(unclaimed.removeFirst())
        }
        entry.timer = timer(context, request.timeout)
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

    private func timer(_ context: ChannelHandlerContext, _ timeout: TimeAmount) -> Scheduled<Void> {
        context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            self?.fail(context: context, SMTPError(.timeout, "no reply within \(timeout.nanoseconds / 1_000_000) ms"))
        }
    }

    /// The head request has all its replies: write its follow-up or complete it.
    private func completeHead(context: ChannelHandlerContext) {
        var head = pending[pending.startIndex]
        head.timer?.cancel()
        if let followUp = head.followUp, head.replies.last?.code == 354, head.replies.dropLast().allSatisfy(\.isPositive) {
            head.followUp = nil
            head.expected += 1
            head.timer = timer(context, head.followUpTimeout)
            pending[pending.startIndex] = head
            context.writeAndFlush(wrapOutboundOut(followUp), promise: nil)
            return
        }
        pending.removeFirst()
        head.promise.succeed(head.replies)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        guard !pending.isEmpty else {
            unclaimed.append(reply)
            return
        }
        pending[pending.startIndex].replies.append(reply)
        let head = pending[pending.startIndex]
        if head.replies.count == head.expected {
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
        while let entry = pending.popFirst() {
            entry.timer?.cancel()
            entry.promise.fail(error)
        }
        context.close(promise: nil)
    }
}
