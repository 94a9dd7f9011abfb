import HeraldCore
import NIOCore
import NIOHTTP1

/// The open-pixel fast path, in each tracking connection's pipeline between the HTTP/1
/// codec and Hummingbird (``TrackingHTTP1Channel``): a `GET /o/<token>` that arrives
/// while Hummingbird has no request of this connection in progress is answered here, on
/// the event loop, with no task, router or response writer: the token is verified on
/// the spot (a bad one answers 404 at once), the open goes to the ``TrackingRecorder``
/// with a callback, and the answer is written when the recorder's commit group
/// completes (``EventLoopMailbox``: one wake-up per event loop per group). The answer is
/// the same as Hummingbird's route gives (``Handlers/open(_:_:)``), and comes after the
/// commit as there.
///
/// Everything else is passed on to Hummingbird untouched. Answers stay in request
/// order: while a fast-path open waits for its commit, what arrives next (a pipelined
/// request, an error) is held back until the answer is written, and reading pauses
/// while anything is held back; while Hummingbird has requests of the connection in
/// progress, opens go to its route too. A graceful shutdown (`ChannelShouldQuiesceEvent`)
/// waits for the open in progress to be answered; `Connection: close` closes after the
/// answer, as Hummingbird does.
final class OpenPixelChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Held {
        case part(HTTPServerRequestPart)
        case error(any Error)
    }

    /// The open being read (until its `.end`) or recorded (`waiting`).
    private struct Open {
        var token: Substring
        var userAgent: String
        var closeAfter: Bool
        var waiting = false
    }

    private enum Answer {
        case pixel
        case notFound
        case failure
    }

    private let fastPath: OpenPixelFastPath
    private var context: ChannelHandlerContext?
    private var mailbox: EventLoopMailbox?
    /// Requests passed on to Hummingbird whose answer has not been written yet.
    private var forwarded = 0
    private var open: Open?
    /// What arrived while an open waited for its commit, in order.
    private var held: [Held] = []
    private var readHeld = false
    private var quiesceHeld = false
    private var quiesced = false

    init(fastPath: OpenPixelFastPath) {
        self.fastPath = fastPath
    }

    /// Whether inbound traffic must wait: an open is being recorded, or older traffic waits.
    private var busy: Bool { open?.waiting == true || !held.isEmpty }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        mailbox = fastPath.mailbox(for: context.eventLoop)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if busy {
            held.append(.part(part))
        } else {
            process(part, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if busy {
            held.append(.error(error))
        } else {
            context.fireErrorCaught(error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiesced = true
            if open != nil {
                quiesceHeld = true
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            if forwarded == 0, !quiesced, let token = OpenPixelFastPath.openToken(head) {
                open = Open(
                    token: token, userAgent: OpenPixelFastPath.field("User-Agent", of: head.headers) ?? "",
                    closeAfter: OpenPixelFastPath.field("Connection", of: head.headers) == "close"
                )
            } else {
                forwarded += 1
                context.fireChannelRead(wrapInboundOut(part))
            }
        case .body:
            // A body of a fast-path GET is read and ignored, as the route ignores it.
            if open == nil { context.fireChannelRead(wrapInboundOut(part)) }
        case .end:
            if open != nil {
                record(context: context)
            } else {
                context.fireChannelRead(wrapInboundOut(part))
            }
        }
    }

    private func record(context: ChannelHandlerContext) {
        guard var request = open else { return }
        guard let (trackingID, action) = request.token.withUTF8({ fastPath.tokens.verify(bytes: $0) }), action == .open,
              let id = TrackingEvent.parseTrackingID(trackingID), let mailbox
        else {
            answer(.notFound, context: context)
            return
        }
        request.waiting = true
        open = request
        let agent = request.userAgent
        let event = TrackingEvent(
            deliveryID: id.deliveryID, sequence: id.sequence, time: fastPath.now(),
            kind: .open(userAgent: agent, machine: MachineOpenRule.isMachineUserAgent(agent))
        )
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        fastPath.recorder.record(event) { result in
            mailbox.post { handler.value.recorded(result) }
        }
    }

    private func recorded(_ result: Result<TrackingBatchResult.Outcome, any Error>) {
        guard let context else {
            open = nil
            return
        }
        switch result {
        case .success(.recorded): answer(.pixel, context: context)
        case .success(.unknownMessage): answer(.notFound, context: context)
        case .failure: answer(.failure, context: context)
        }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), forwarded > 0 { forwarded -= 1 }
        context.write(data, promise: promise)
    }

    /// Reading goes on while an open waits for its commit (holding it would cost two
    /// `epoll_ctl` calls per request), but pauses once something is held back: a client
    /// that pipelines gets its requests read at the pace they are answered.
    func read(context: ChannelHandlerContext) {
        if held.isEmpty {
            context.read()
        } else {
            readHeld = true
        }
    }

    // MARK: Answering

    /// Writes the answer of the current open, then lets what waited behind it through.
    private func answer(_ answer: Answer, context: ChannelHandlerContext) {
        let closeAfter = open?.closeAfter ?? false
        open = nil
        var head: HTTPResponseHead
        var body: ByteBuffer?
        switch answer {
        case .pixel:
            head = HTTPResponseHead(version: .http1_1, status: .ok, headers: fastPath.pixelHeaders)
            body = fastPath.pixelBody
        case .notFound:
            head = HTTPResponseHead(version: .http1_1, status: .notFound, headers: fastPath.notFoundHeaders)
            body = fastPath.notFoundBody
        case .failure:
            head = HTTPResponseHead(version: .http1_1, status: .internalServerError, headers: fastPath.failureHeaders)
        }
        head.headers.add(name: "Date", value: HTTPDate.now)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if closeAfter {
            context.close(promise: nil)
            return
        }
        if quiesceHeld {
            // Graceful shutdown waited for this answer: Hummingbird's connection handler
            // closes the connection now (nothing of its own is in progress).
            quiesceHeld = false
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            return
        }
        drainHeld(context: context)
        if held.isEmpty && readHeld {
            readHeld = false
            context.read()
        }
    }

    private func drainHeld(context: ChannelHandlerContext) {
        guard !held.isEmpty else { return }
        var waiting: [Held] = []
        swap(&waiting, &held)
        for (index, item) in waiting.enumerated() {
            if open?.waiting == true {
                held.append(contentsOf: waiting[index...])
                break
            }
            switch item {
            case .part(let part): process(part, context: context)
            case .error(let error): context.fireErrorCaught(error)
            }
        }
        // Outside a read cycle: Hummingbird's async channel hands what it was given to
        // its reader at the read-complete event.
        context.fireChannelReadComplete()
    }
}
