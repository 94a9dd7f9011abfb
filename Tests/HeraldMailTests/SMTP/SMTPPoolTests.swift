import Foundation
@testable import HeraldMail
import Logging
import Testing

@Suite("SMTP pool against the capture relay")
struct SMTPPoolTests {
    static let logger = Logger(label: "herald.mail.tests")

    static func relay(_ label: String, _ configure: (inout CaptureRelay.Configuration) -> Void = { _ in }) async throws -> CaptureRelay {
        var configuration = CaptureRelay.Configuration(directory: try TestSupport.temporaryDirectory(label).path)
        configure(&configuration)
        return try await CaptureRelay.start(configuration: configuration, logger: logger)
    }

    static func pool(_ relay: CaptureRelay, sessions: Int = 4, perDomain: Int = 4, timeouts: SMTPPool.Timeouts = .defaults) -> SMTPPool {
        SMTPPool(
            configuration: .init(relays: [SMTPRelay(host: "127.0.0.1", port: relay.port)], maxSessions: sessions, maxSessionsPerDomain: perDomain, timeouts: timeouts),
            logger: logger
        )
    }

    static func plain(_ recipient: String) -> OutgoingMessage {
        OutgoingMessage(sender: "bounces@herald.example", recipient: recipient, data: Array("Subject: t\r\n\r\nhello\r\n.leading dot\r\n".utf8))
    }

    static func emlFiles(_ relay: CaptureRelay) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: URL(fileURLWithPath: relay.directory), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "eml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("N messages over reused, pipelined sessions arrive intact and parse")
    func sendsAndCaptures() async throws {
        let relay = try await Self.relay("pool")
        let pool = Self.pool(relay, sessions: 4)
        let cases = MailMessageTests.cases()
        let count = 60
        var messages: [MailMessage] = []
        for i in 0..<count {
            var message = cases[i % cases.count].0
            message.to.address = "r\(i)@example\(i % 3).com"
            message.messageID = .stable(deliveryID: "d-1", recipientID: "p\(i)", domain: "herald.example")
            messages.append(message)
        }
        let outcomes = await withTaskGroup(of: (Int, DeliveryOutcome).self) { group in
            for (i, message) in messages.enumerated() {
                group.addTask {
                    (i, await pool.send(OutgoingMessage(sender: "bounces@herald.example", recipient: message.to.address, data: message.rendered())))
                }
            }
            var outcomes: [Int: DeliveryOutcome] = [:]
            for await (i, outcome) in group { outcomes[i] = outcome }
            return outcomes
        }
        for (i, outcome) in outcomes {
            guard case .sent = outcome else {
                Issue.record("message \(i): \(outcome)")
                continue
            }
        }
        let opened = await pool.openedSessionCount
        #expect(opened <= 4)
        await pool.shutdown()
        let statistics = relay.statistics
        #expect(statistics.messages == count)
        #expect(statistics.connections == opened)
        #expect(statistics.pipelinedTransactions == count, "MAIL, RCPT and DATA arrive in one read when pipelining")
        await relay.shutdown()

        // Every file is a message Python parses back to what was sent, envelope first.
        var byRecipient: [String: (MailMessage, String)] = [:]
        for (i, message) in messages.enumerated() { byRecipient[message.to.address] = (message, cases[i % cases.count].1) }
        let files = try Self.emlFiles(relay)
        #expect(files.count == count)
        var checks: [MessageCheck] = []
        for file in files {
            let raw = try String(contentsOf: file, encoding: .utf8)
            let recipient = try #require(raw.split(separator: "\r\n").first { $0.hasPrefix("X-Herald-Envelope-To: <") })
                .dropFirst("X-Herald-Envelope-To: <".count).dropLast()
            let (message, text) = try #require(byRecipient[String(recipient)])
            checks.append(MessageCheck(file: file, message: message, text: text, headers: [
                "X-Herald-Envelope-From": "<bounces@herald.example>", "X-Herald-Envelope-To": "<\(recipient)>",
            ]))
        }
        try await MessageCheck.verify(checks, in: URL(fileURLWithPath: relay.directory))
    }

    @Test("Without PIPELINING on offer, commands go one at a time")
    func noPipelining() async throws {
        let relay = try await Self.relay("nopipe") { $0.advertisesPipelining = false }
        let pool = Self.pool(relay, sessions: 2)
        for i in 0..<10 {
            #expect(await pool.send(Self.plain("u\(i)@example.com")).failureReason == nil)
        }
        await pool.shutdown()
        #expect(relay.statistics.messages == 10)
        #expect(relay.statistics.pipelinedTransactions == 0)
        await relay.shutdown()
    }

    @Test("4xx, 5xx and garbage replies map to outcomes; the session goes on after RSET")
    func refusals() async throws {
        let relay = try await Self.relay("refuse") {
            $0.recipientResponses = [
                "unknown@example.com": .reply(code: 550, text: "5.1.1 no such user"),
                "full@example.com": .reply(code: 552, text: "5.2.2 mailbox full"),
                "nodomain@example.com": .reply(code: 550, text: "5.1.2 bad destination system"),
                "policy@example.com": .reply(code: 554, text: "5.7.1 refused by policy"),
                "later@example.com": .reply(code: 450, text: "4.2.0 try again later"),
                "garbage@example.com": .garbage,
                "drop@example.com": .disconnect,
            ]
        }
        let pool = Self.pool(relay, sessions: 1)
        func outcome(_ recipient: String) async -> DeliveryOutcome { await pool.send(Self.plain(recipient)) }
        guard case .permanent(.userUnknown, let detail) = await outcome("unknown@example.com") else {
            Issue.record("550 5.1.1")
            return
        }
        #expect(detail.contains("550 5.1.1"))
        guard case .permanent(.mailboxFull, _) = await outcome("full@example.com") else { Issue.record("552"); return }
        guard case .permanent(.invalidDomain, _) = await outcome("nodomain@example.com") else { Issue.record("5.1.2"); return }
        guard case .permanent(.refused, _) = await outcome("policy@example.com") else { Issue.record("554"); return }
        guard case .transient(.deferred, _) = await outcome("later@example.com") else { Issue.record("450"); return }
        guard case .sent = await outcome("ok1@example.com") else { Issue.record("ok after refusals"); return }
        #expect(await pool.openedSessionCount == 1, "refusals keep the session (RSET)")
        guard case .transient(.protocolError, _) = await outcome("garbage@example.com") else { Issue.record("garbage"); return }
        guard case .transient(.unreachable, _) = await outcome("drop@example.com") else { Issue.record("disconnect"); return }
        guard case .sent = await outcome("ok2@example.com") else { Issue.record("ok after garbage"); return }
        #expect(await pool.openedSessionCount >= 3)
        await pool.shutdown()
        #expect(relay.statistics.messages == 2)
        await relay.shutdown()
    }

    @Test("A relay that drops the connection between messages: the pool reconnects")
    func reconnects() async throws {
        let relay = try await Self.relay("drop") { $0.closeAfterMessages = 3 }
        let pool = Self.pool(relay, sessions: 1)
        for i in 0..<10 {
            let outcome = await pool.send(Self.plain("u\(i)@example.com"))
            #expect(outcome.failureReason == nil, "\(i): \(outcome)")
            if i % 3 == 2 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(await pool.openedSessionCount == 4)
        await pool.shutdown()
        #expect(relay.statistics.messages == 10)
        await relay.shutdown()
    }

    @Test("A stale session that the relay closed is replaced without losing the message")
    func staleSession() async throws {
        let relay = try await Self.relay("stale") { $0.closeAfterMessages = 1 }
        let pool = Self.pool(relay, sessions: 1)
        for i in 0..<5 {
            // No pause: the next send may find the session open locally but closed remotely.
            let outcome = await pool.send(Self.plain("u\(i)@example.com"))
            #expect(outcome.failureReason == nil, "\(i): \(outcome)")
        }
        await pool.shutdown()
        #expect(relay.statistics.messages == 5)
        await relay.shutdown()
    }

    @Test("No listener: unreachable (transient)")
    func unreachable() async throws {
        let port = try TestSupport.freePort()
        let pool = SMTPPool(configuration: .init(relays: [SMTPRelay(host: "127.0.0.1", port: port)]), logger: Self.logger)
        guard case .transient(.unreachable, _) = await pool.send(Self.plain("a@example.com")) else {
            Issue.record("expected unreachable")
            return
        }
        #expect(await pool.openedSessionCount == 0)
        await pool.shutdown()
    }

    @Test("A relay that never greets: the greeting times out")
    func greetingTimeout() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let timeouts = SMTPPool.Timeouts(connect: .seconds(2), greeting: .milliseconds(300), command: .seconds(2), data: .seconds(2))
        let pool = SMTPPool(configuration: .init(relays: [SMTPRelay(host: "127.0.0.1", port: listener.port)], timeouts: timeouts), logger: Self.logger)
        guard case .transient(.unreachable, let detail) = await pool.send(Self.plain("a@example.com")) else {
            Issue.record("expected a timeout")
            return
        }
        #expect(detail.contains("timeout"))
        await pool.shutdown()
    }

    @Test("The per-domain bound: one domain never has more messages in flight than allowed")
    func perDomainBound() async throws {
        let relay = try await Self.relay("domain")
        let pool = Self.pool(relay, sessions: 6, perDomain: 2)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<30 {
                group.addTask { _ = await pool.send(Self.plain("u\(i)@same.example")) }
            }
        }
        #expect(await pool.openedSessionCount <= 2)
        await pool.shutdown()
        #expect(relay.statistics.messages == 30)
        await relay.shutdown()
    }
}

/// A socket that listens but never accepts or writes: connections succeed and then hang.
final class SilentListener {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw POSIXError(.EADDRINUSE) }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}
