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
        var entry = Pending(expected: request.replyCount, replies: [], promise: request.promise, timer: nil)
        while entry.replies.count < entry.expected, !unclaimed.isEmpty {
            entry.replies.append(unclaimed.removeFirst())
        }
        if entry.replies.count == entry.expected {
            request.promise.succeed(entry.replies)
        } else {
            let timeout = request.timeout
            entry.timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
                self?.fail(context: context, SMTPError(.timeout, "no reply within \(timeout.nanoseconds / 1_000_000) ms"))
            }
            pending.append(entry)
        }
        if let bytes = request.bytes {
            context.write(wrapOutboundOut(bytes), promise: promise)
        } else {
            promise?.succeed()
        }
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
            pending.removeFirst()
            head.timer?.cancel()
            head.promise.succeed(head.replies)
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
