internal import NIOCore
internal import NIOPosix
internal import NIOSSL

/// One SMTP connection to a relay, after the greeting, EHLO and AUTH: it sends one
/// message at a time. Immutable after ``connect(to:configuration:)``, so it is `Sendable`
/// without locks; the pool gives it to one task at a time.
final class SMTPSession: Sendable {
    /// What a send left the session as.
    enum After: Sendable {
        /// The session can carry the next message.
        case reusable
        /// The session is closed (or must be): open a new one for the next message.
        case closed
        /// The connection was found closed before the relay replied to anything of this
        /// message: nothing was delivered, so the message may go on a new session.
        case retryOnNewSession
    }

    let relay: SMTPRelay
    let extensions: SMTPExtensions
    let channel: any Channel
    private let usesPipelining: Bool
    private let commandTimeout: TimeAmount
    private let dataTimeout: TimeAmount

    private init(relay: SMTPRelay, channel: any Channel, extensions: SMTPExtensions, configuration: SMTPPool.Configuration) {
        self.relay = relay
        self.channel = channel
        self.extensions = extensions
        self.usesPipelining = configuration.usesPipelining && extensions.pipelining
        self.commandTimeout = TimeAmount(configuration.timeouts.command)
        self.dataTimeout = TimeAmount(configuration.timeouts.data)
    }

    /// Whether the connection is still open.
    var isActive: Bool { channel.isActive }

    /// Whether commands go out pipelined (configured and offered by the relay): the
    /// condition for ``begin(_:)`` and ``finish(_:thenBegin:)``.
    var pipelines: Bool { usesPipelining }

    /// The event loop of every SMTP client session: one loop of swift-nio's shared group,
    /// picked once. With every session on one loop, the replies of several sessions are
    /// read in one wake-up of one thread, and a sending lane's hops go to one thread
    /// instead of waking a loop per session (`make bench-send`: 112–118 µs of CPU per
    /// message instead of 129–132 µs, 1.6 context switches per message instead of 2.0).
    /// The capture relay and the tracking server keep using the whole group.
    static let eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()

    /// Connects, reads the greeting, says EHLO (HELO when EHLO is refused) and
    /// authenticates when credentials are configured. The connection lives on
    /// ``eventLoop``.
    static func connect(to relay: SMTPRelay, configuration: SMTPPool.Configuration) async throws -> SMTPSession {
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(configuration.timeouts.connect))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(SMTPClientHandler())
                    }
                }
                .connect(host: relay.host, port: relay.port)
                .get()
        } catch {
            throw SMTPError(.connectionFailed, "\(relay): \(error)")
        }
        do {
            let greeting = try await exchange(channel, nil, replies: 1, timeout: TimeAmount(configuration.timeouts.greeting))[0]
            guard greeting.code == 220 else {
                throw SMTPError(.unexpectedReply, "\(relay) greeted with \(greeting)")
            }
            let commandTimeout = TimeAmount(configuration.timeouts.command)
            var extensions = SMTPExtensions()
            let ehlo = try await exchange(channel, "EHLO \(configuration.heloName)\r\n", replies: 1, timeout: commandTimeout)[0]
            if ehlo.isPositive {
                extensions = SMTPExtensions(ehloReply: ehlo)
            } else {
                let helo = try await exchange(channel, "HELO \(configuration.heloName)\r\n", replies: 1, timeout: commandTimeout)[0]
                guard helo.isPositive else { throw SMTPError(.unexpectedReply, "\(relay) refused EHLO and HELO: \(helo)") }
            }
            var secured = false
            if configuration.startTLS != .off {
                if extensions.startTLS {
                    let reply = try await exchange(channel, "STARTTLS\r\n", replies: 1, timeout: commandTimeout)[0]
                    if reply.code == 220 {
                        try await startTLS(channel, relay: relay, configuration: configuration)
                        // RFC 3207 §4.2: forget what the relay said before TLS and ask again.
                        let again: SMTPReply
                        do {
                            again = try await exchange(channel, "EHLO \(configuration.heloName)\r\n", replies: 1, timeout: commandTimeout)[0]
                        } catch {
                            throw SMTPError(.tlsFailed, "TLS with \(relay) failed: \(error)")
                        }
                        guard again.isPositive else { throw SMTPError(.tlsFailed, "\(relay) refused EHLO after STARTTLS: \(again)") }
                        extensions = SMTPExtensions(ehloReply: again)
                        secured = true
                    } else if configuration.startTLS == .required {
                        throw SMTPError(.tlsFailed, "\(relay) refused STARTTLS, which is required: \(reply)")
                    }
                } else if configuration.startTLS == .required {
                    throw SMTPError(.tlsFailed, "\(relay) does not offer STARTTLS, which is required")
                }
            }
            if let credentials = configuration.credentials {
                guard secured || (configuration.allowsPlaintextAuthOnLoopback && relay.isLoopback) else {
                    throw SMTPError(
                        .authenticationFailed, "credentials are not sent to \(relay) without TLS (configure STARTTLS)"
                    )
                }
                try await authenticate(channel, credentials, extensions: extensions, timeout: commandTimeout, relay: relay)
            }
            return SMTPSession(relay: relay, channel: channel, extensions: extensions, configuration: configuration)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    private static func authenticate(
        _ channel: any Channel, _ credentials: SMTPPool.Credentials, extensions: SMTPExtensions, timeout: TimeAmount, relay: SMTPRelay
    ) async throws {
        func base64(_ s: String) -> String {
            var out: [UInt8] = []
            Base64.encode(Array(s.utf8), into: &out)
            return String(decoding: out, as: UTF8.self)
        }
        let reply: SMTPReply
        if extensions.authMechanisms.contains("PLAIN") || !extensions.authMechanisms.contains("LOGIN") {
            let token = base64("\u{0}\(credentials.username)\u{0}\(credentials.password)")
            reply = try await exchange(channel, "AUTH PLAIN \(token)\r\n", replies: 1, timeout: timeout)[0]
        } else {
            var step = try await exchange(channel, "AUTH LOGIN\r\n", replies: 1, timeout: timeout)[0]
            if step.code == 334 {
                step = try await exchange(channel, "\(base64(credentials.username))\r\n", replies: 1, timeout: timeout)[0]
            }
            if step.code == 334 {
                step = try await exchange(channel, "\(base64(credentials.password))\r\n", replies: 1, timeout: timeout)[0]
            }
            reply = step
        }
        guard reply.code == 235 else {
            throw SMTPError(.authenticationFailed, "\(relay) refused the credentials of '\(credentials.username)': \(reply)")
        }
    }

    /// Puts TLS under the SMTP handlers (after the relay's 220 to STARTTLS); the
    /// handshake runs before the next command goes out. The certificate is verified
    /// against the trust roots and the relay's host name (its IP address when the relay
    /// is given as one).
    private static func startTLS(_ channel: any Channel, relay: SMTPRelay, configuration: SMTPPool.Configuration) async throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.trustRootsFile { tls.trustRoots = .file(file) }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: tls)
        } catch {
            throw SMTPError(.tlsFailed, "cannot set up TLS for \(relay) (trust roots \(configuration.trustRootsFile ?? "of the system")): \(error)")
        }
        let hostname = relay.isIPAddress ? nil : relay.host
        try await channel.eventLoop.submit {
            let handler = try NIOSSLClientHandler(context: context, serverHostname: hostname)
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
        }.get()
    }

    /// Sends one message: MAIL, RCPT and DATA (in one write when pipelining), then the
    /// dot-stuffed data; RSET after a refused envelope.
    func send(_ message: OutgoingMessage) async -> (DeliveryOutcome, After) {
        let payload = DotStuffing.payload(message.data, allocator: channel.allocator)
        var repliesSoFar = 0
        do {
            // The data follows DATA's 354 from the event loop (see SMTPClientRequest).
            var replies: [SMTPReply]
            if usesPipelining {
                replies = try await Self.exchange(
                    channel, envelope(message), replies: 3, timeout: commandTimeout,
                    followUp: payload, followUpTimeout: dataTimeout
                )
                repliesSoFar = 3
            } else {
                let size = extensions.size != nil ? " SIZE=\(message.data.count)" : ""
                let mail = "MAIL FROM:<\(message.sender)>\(size)\r\n"
                let rcpt = "RCPT TO:<\(message.recipient)>\r\n"
                replies = try await Self.exchange(channel, mail, replies: 1, timeout: commandTimeout)
                repliesSoFar = 1
                if replies[0].isPositive {
                    replies += try await Self.exchange(channel, rcpt, replies: 1, timeout: commandTimeout)
                    if replies[1].isPositive {
                        replies += try await Self.exchange(
                            channel, channel.allocator.buffer(string: "DATA\r\n"), replies: 1, timeout: commandTimeout,
                            followUp: payload, followUpTimeout: dataTimeout
                        )
                    }
                }
            }
            if replies.count == 4 {
                let final = replies[3]
                return (DeliveryOutcome(reply: final), final.code == 421 ? closeAndReport() : .reusable)
            }
            if let refusal = replies.first(where: { !$0.isPositive && $0.code != 354 }) {
                return await refused(refusal, dataAccepted: replies.count == 3 && replies[2].code == 354)
            }
            close()
            return (.transient(.protocolError, detail: "DATA answered with \(replies.last.map { "\($0)" } ?? "nothing")"), .closed)
        } catch {
            close()
            let smtpError = error as? SMTPError ?? SMTPError(.connectionClosed, "\(error)")
            if repliesSoFar == 0 && smtpError.code == .connectionClosed {
                return (smtpError.outcome, .retryOnNewSession)
            }
            return (smtpError.outcome, .closed)
        }
    }

    /// A message whose envelope the relay accepted and whose DATA it answered with 354;
    /// its data is held until ``finish(_:thenBegin:)`` writes it. Until then nothing is
    /// delivered: the only way out without delivering is closing the connection (no RSET
    /// in the middle of DATA).
    struct Begun: Sendable {
        let payload: ByteBuffer
    }

    /// What ``begin(_:)`` (or the `thenBegin` part of ``finish(_:thenBegin:)``) left.
    enum Beginning: Sendable {
        /// 354 received: the data waits for ``finish(_:thenBegin:)``.
        case ready(Begun)
        /// The envelope or DATA was refused, or the connection failed: the message is done.
        case done(DeliveryOutcome, After)
    }

    /// Sends MAIL, RCPT and DATA in one write and waits for their replies, without
    /// sending the data (RFC 2920 overlap: the caller can commit the previous outcome
    /// meanwhile, and the data goes out with the next envelope). Only when ``pipelines``.
    func begin(_ message: OutgoingMessage) async -> Beginning {
        let payload = DotStuffing.payload(message.data, allocator: channel.allocator)
        do {
            let replies = try await Self.exchange(channel, envelope(message), replies: 3, timeout: commandTimeout)
            return await beginning(replies, payload)
        } catch {
            let (outcome, after) = failed(error, repliesSoFar: 0)
            return .done(outcome, after)
        }
    }

    /// Writes a begun message's data and ".", and in the same write the envelope and DATA
    /// of `next` (if any); returns the begun message's outcome and what became of `next`.
    func finish(_ begun: Begun, thenBegin next: OutgoingMessage?) async -> (outcome: (DeliveryOutcome, After), next: Beginning?) {
        let (requests, nextPayload) = finishRequests(begun, thenBegin: next)
        // One hop onto the event loop (one flush for both requests) and one back.
        let results = await Self.submit(channel, requests)
        return await finished(results, nextPayload: nextPayload)
    }

    /// The requests of ``finish(_:thenBegin:)``: the begun message's data and ".", and
    /// `next`'s envelope and DATA; and `next`'s payload, held for its ``Begun``.
    func finishRequests(_ begun: Begun, thenBegin next: OutgoingMessage?) -> ([SMTPClientRequest], ByteBuffer?) {
        let final = SMTPClientRequest(
            bytes: begun.payload, replyCount: 1, timeout: dataTimeout, followUp: nil, followUpTimeout: .zero
        )
        var nextPayload: ByteBuffer?
        var requests: [SMTPClientRequest] = []
        requests.reserveCapacity(2)
        requests.append(final)
        if let next {
            nextPayload = DotStuffing.payload(next.data, allocator: channel.allocator)
            requests.append(SMTPClientRequest(
                bytes: envelope(next), replyCount: 3, timeout: commandTimeout, followUp: nil, followUpTimeout: .zero
            ))
        }
        return (requests, nextPayload)
    }

    /// What the results of ``finishRequests(_:thenBegin:)`` mean: the begun message's
    /// outcome and what became of the next one (RSET or close after a refusal).
    func finished(
        _ results: SMTPExchange.Results, nextPayload: ByteBuffer?
    ) async -> (outcome: (DeliveryOutcome, After), next: Beginning?) {
        let outcome: (DeliveryOutcome, After)
        switch results[0] {
        case .success(let replies):
            let reply = replies[0]
            outcome = (DeliveryOutcome(reply: reply), reply.code == 421 ? closeAndReport() : .reusable)
        case .failure(let error):
            outcome = failed(error, repliesSoFar: 1)
        }
        guard let nextPayload, results.count > 1 else { return (outcome, nil) }
        switch results[1] {
        case .success(let replies):
            return (outcome, await beginning(replies, nextPayload))
        case .failure(let error):
            let (nextOutcome, after) = failed(error, repliesSoFar: 0)
            return (outcome, .done(nextOutcome, after))
        }
    }

    /// MAIL, RCPT and DATA, written straight into the buffer (no string is built).
    private func envelope(_ message: OutgoingMessage) -> ByteBuffer {
        var buffer = channel.allocator.buffer(capacity: message.sender.utf8.count + message.recipient.utf8.count + 64)
        buffer.writeStaticString("MAIL FROM:<")
        buffer.writeString(message.sender)
        buffer.writeStaticString(">")
        if extensions.size != nil {
            buffer.writeStaticString(" SIZE=")
            buffer.writeString(String(message.data.count))
        }
        buffer.writeStaticString("\r\nRCPT TO:<")
        buffer.writeString(message.recipient)
        buffer.writeStaticString(">\r\nDATA\r\n")
        return buffer
    }

    /// The replies to MAIL, RCPT and DATA: ready for the data, or done.
    private func beginning(_ replies: [SMTPReply], _ payload: ByteBuffer) async -> Beginning {
        if replies.count == 3, replies[2].code == 354, replies[0].isPositive, replies[1].isPositive {
            return .ready(Begun(payload: payload))
        }
        if let refusal = replies.first(where: { !$0.isPositive && $0.code != 354 }) {
            let (outcome, after) = await refused(refusal, dataAccepted: replies.count == 3 && replies[2].code == 354)
            return .done(outcome, after)
        }
        close()
        return .done(.transient(.protocolError, detail: "DATA answered with \(replies.last.map { "\($0)" } ?? "nothing")"), .closed)
    }

    /// A failed exchange: the connection is closed; a message none of whose commands
    /// was answered may go on a new session.
    private func failed(_ error: any Error, repliesSoFar: Int) -> (DeliveryOutcome, After) {
        close()
        let smtpError = error as? SMTPError ?? SMTPError(.connectionClosed, "\(error)")
        if repliesSoFar == 0 && smtpError.code == .connectionClosed {
            return (smtpError.outcome, .retryOnNewSession)
        }
        return (smtpError.outcome, .closed)
    }

    /// After a refused MAIL, RCPT or DATA: RSET, so the session can go on.
    private func refused(_ reply: SMTPReply, dataAccepted: Bool) async -> (DeliveryOutcome, After) {
        let outcome = DeliveryOutcome(reply: reply)
        // A server that accepted DATA after refusing the envelope would take whatever
        // follows as a message: the only safe way out is to drop the connection.
        if dataAccepted || reply.code == 421 {
            return (outcome, closeAndReport())
        }
        do {
            let reset = try await Self.exchange(channel, "RSET\r\n", replies: 1, timeout: commandTimeout)[0]
            return (outcome, reset.isPositive ? .reusable : closeAndReport())
        } catch {
            close()
            return (outcome, .closed)
        }
    }

    /// Says QUIT (waiting a short while for the reply) and closes the connection.
    func quit() async {
        _ = try? await Self.exchange(channel, "QUIT\r\n", replies: 1, timeout: .seconds(2))
        close()
    }

    /// Closes the connection without QUIT.
    func close() {
        channel.close(promise: nil)
    }

    private func closeAndReport() -> After {
        close()
        return .closed
    }

    private static func exchange(_ channel: any Channel, _ command: String, replies: Int, timeout: TimeAmount) async throws -> [SMTPReply] {
        try await exchange(channel, channel.allocator.buffer(string: command), replies: replies, timeout: timeout)
    }

    /// Writes `bytes` (if any) and waits for `replies` replies (and the follow-up's).
    private static func exchange(
        _ channel: any Channel, _ bytes: ByteBuffer?, replies: Int, timeout: TimeAmount,
        followUp: ByteBuffer? = nil, followUpTimeout: TimeAmount = .zero
    ) async throws -> [SMTPReply] {
        let request = SMTPClientRequest(
            bytes: bytes, replyCount: replies, timeout: timeout, followUp: followUp, followUpTimeout: followUpTimeout
        )
        return try await submit(channel, [request])[0].get()
    }

    /// Writes `requests` in one event-loop task with one flush and waits for all their
    /// replies, gathered on the event loop (``SMTPExchange``): one hop onto the loop and
    /// one back to the caller. One result per request, in order.
    private static func submit(_ channel: any Channel, _ requests: [SMTPClientRequest]) async -> SMTPExchange.Results {
        guard !requests.isEmpty else { return [] }
        // Unchecked: the exchange resumes it exactly once (a checked continuation costs an
        // allocation per exchange).
        return await withUnsafeContinuation { (continuation: UnsafeContinuation<SMTPExchange.Results, Never>) in
            channel.eventLoop.execute {
                let exchange = SMTPExchange(count: requests.count, continuation: continuation)
                // On the loop, an active channel still has its SMTPClientHandler, which
                // answers every request written to it (its replies, or the failure that
                // closed the connection): no write promise is needed. A closed channel
                // may have lost its handlers: the requests fail here.
                guard channel.isActive else {
                    let closed = SMTPError(.connectionClosed, "the relay closed the connection")
                    for index in requests.indices { exchange.complete(index, .failure(closed)) }
                    return
                }
                write(requests, answeredBy: exchange, to: channel)
            }
        }
    }

    /// On the loop, to an active channel: writes `requests` as the parts of `exchange`
    /// (request i answers its result i), then one flush.
    static func write(_ requests: [SMTPClientRequest], answeredBy exchange: SMTPExchange, to channel: any Channel) {
        for (index, request) in requests.enumerated() {
            var request = request
            request.exchange = exchange
            request.index = index
            channel.write(request, promise: nil)
        }
        channel.flush()
    }
}

extension TimeAmount {
    /// The same duration in NIO's unit.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
