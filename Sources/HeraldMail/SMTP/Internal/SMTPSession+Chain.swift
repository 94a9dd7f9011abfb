internal import NIOCore

/// The chain of ``SMTPLease/chain(thenBegin:advance:)``: ``SMTPSession/finish(_:thenBegin:)``
/// driven from the event loop while the relay accepts and the sender has the next
/// message at once.
extension SMTPSession {
    /// A message of a chain (``chain(_:domain:thenBegin:advance:)``) and the domain it is
    /// counted in flight for.
    struct Chained: Sendable {
        var message: OutgoingMessage
        var domain: String
    }

    /// The `advance` of ``chain(_:domain:thenBegin:advance:)``, called on the event loop
    /// with the accepted reply, the accepted message's domain and the message now begun;
    /// it calls `then` (on the loop or elsewhere) with the message to chain next, or `nil`.
    typealias Advance = @Sendable (
        _ accepted: SMTPReply, _ acceptedDomain: String, _ begun: Chained, _ then: @escaping @Sendable (Chained?) -> Void
    ) -> Void

    /// What ``chain(_:domain:thenBegin:advance:)`` ended with.
    enum ChainEnd: Sendable {
        /// The last exchange was not the steady state (a refusal, a failure, a closed
        /// connection): what ``finish(_:thenBegin:)`` would have returned for it, the
        /// domain of the message it finished and the message it began.
        case finished(outcome: (DeliveryOutcome, After), next: Beginning?, finishedDomain: String, chained: Chained)
        /// `advance` said to stop (`nil`): this message is begun.
        case handedBack(Begun, Chained)
    }

    /// ``finish(_:thenBegin:)`` driven from the event loop, message after message, with
    /// no hop onto another thread while the relay accepts and the sender has the next
    /// message at once: writes the begun message's data and "." with `next`'s envelope
    /// and DATA; when the begun message is accepted (2xx) and `next` is ready for its
    /// data (354), calls `advance` on the event loop, which calls back with the message to
    /// begin after `next` (then `next` is finished with it in the same way), or `nil`
    /// (the chain ends with `next` begun). Anything else ends the chain and is reported
    /// as ``finish(_:thenBegin:)`` reports it (RSET or close after a refusal).
    ///
    /// Between the data of one message and the next, `advance` runs on the loop (the
    /// sender's commit of the accepted message, its next message's composing): the
    /// caller keeps it short and never blocks in it.
    func chain(_ begun: Begun, domain: String, thenBegin next: Chained, advance: @escaping Advance) async -> ChainEnd {
        let raw = await withUnsafeContinuation { (continuation: UnsafeContinuation<RawChainEnd, Never>) in
            let step = ChainStep(session: self, domain: domain, advance: advance, continuation: continuation)
            if channel.eventLoop.inEventLoop {
                step.write(begun, next)
            } else {
                channel.eventLoop.execute { step.write(begun, next) }
            }
        }
        switch raw {
        case .results(let results, let nextPayload, let finishedDomain, let chained):
            let (outcome, beginning) = await finished(results, nextPayload: nextPayload)
            return .finished(outcome: outcome, next: beginning, finishedDomain: finishedDomain, chained: chained)
        case .handedBack(let begun, let chained):
            return .handedBack(begun, chained)
        }
    }

    /// What the loop side of ``chain(_:domain:thenBegin:advance:)`` hands back.
    fileprivate enum RawChainEnd: Sendable {
        case results(SMTPExchange.Results, nextPayload: ByteBuffer, finishedDomain: String, chained: Chained)
        case handedBack(Begun, Chained)
    }

    /// The loop side of a chain: each exchange's results decide whether the chain goes on.
    ///
    /// `@unchecked Sendable`: used only on the channel's event loop (`advance`'s callback
    /// hops there when called elsewhere); the continuation is resumed once, when the
    /// chain ends.
    private final class ChainStep: @unchecked Sendable {
        private let session: SMTPSession
        private let advance: Advance
        private let continuation: UnsafeContinuation<RawChainEnd, Never>
        /// The domain of the message whose data goes out next.
        private var domain: String

        init(session: SMTPSession, domain: String, advance: @escaping Advance, continuation: UnsafeContinuation<RawChainEnd, Never>) {
            self.session = session
            self.domain = domain
            self.advance = advance
            self.continuation = continuation
        }

        /// On the loop: writes `begun`'s data and "." and `next`'s envelope, one flush.
        func write(_ begun: Begun, _ next: Chained) {
            let channel = session.channel
            let (requests, payload) = session.finishRequests(begun, thenBegin: next.message)
            let nextPayload = payload ?? channel.allocator.buffer(capacity: 0)
            guard channel.isActive else {
                let closed = SMTPError(.connectionClosed, "the relay closed the connection")
                continuation.resume(returning: .results(
                    [.failure(closed), .failure(closed)], nextPayload: nextPayload, finishedDomain: domain, chained: next
                ))
                return
            }
            let exchange = SMTPExchange(count: requests.count) { results in
                self.replied(results, next, nextPayload)
            }
            SMTPSession.write(requests, answeredBy: exchange, to: channel)
        }

        /// On the loop: the replies of one exchange.
        private func replied(_ results: SMTPExchange.Results, _ next: Chained, _ nextPayload: ByteBuffer) {
            guard results.count == 2, case .success(let final) = results[0], final.count == 1, final[0].isPositive,
                case .success(let envelope) = results[1], envelope.count == 3, envelope[0].isPositive,
                envelope[1].isPositive, envelope[2].code == 354
            else {
                continuation.resume(returning: .results(results, nextPayload: nextPayload, finishedDomain: domain, chained: next))
                return
            }
            let accepted = domain
            domain = next.domain
            let begun = Begun(payload: nextPayload)
            let loop = session.channel.eventLoop
            advance(final[0], accepted, next) { after in
                if loop.inEventLoop {
                    self.advanced(begun, next, after)
                } else {
                    loop.execute { self.advanced(begun, next, after) }
                }
            }
        }

        /// On the loop: what `advance` said after an accepted message.
        private func advanced(_ begun: Begun, _ current: Chained, _ after: Chained?) {
            guard let after else {
                continuation.resume(returning: .handedBack(begun, current))
                return
            }
            write(begun, after)
        }
    }
}
