import Foundation
import HeraldMail
import Logging
import Testing

/// The pool against SMTP servers that are not Herald's: Postfix's `smtp-sink` and a
/// scripted Python `aiosmtpd` (both installed by `scripts/install-deps`).
@Suite("SMTP interop with foreign servers")
struct InteropTests {
    static let logger = Logger(label: "herald.mail.tests")

    @Test("Postfix smtp-sink takes every message over a few reused sessions")
    func smtpSink() async throws {
        let sink = try #require(TestSupport.which("smtp-sink"), "smtp-sink (Debian postfix) is installed by scripts/install-deps")
        let port = try TestSupport.freePort()
        let server = try ChildProcess(sink, ["-u", "nobody", "127.0.0.1:\(port)", "100"])
        try await TestSupport.waitForPort(port)
        let pool = SMTPPool(configuration: .init(relays: [SMTPRelay(host: "127.0.0.1", port: port)], maxSessions: 4), logger: Self.logger)
        let message = MailMessageTests.cases()[2].0
        let data = message.rendered()
        let sent = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<400 {
                group.addTask {
                    if case .sent = await pool.send(OutgoingMessage(sender: "b@herald.example", recipient: "r\(i)@example.com", data: data)) { return true }
                    return false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(sent == 400)
        #expect(await pool.openedSessionCount <= 4)
        await pool.shutdown()
        await server.stop()
    }

    @Test("aiosmtpd refusing chosen recipients with 450 and 550")
    func aiosmtpd() async throws {
        let python = try #require(TestSupport.which("python3"))
        let port = try TestSupport.freePort()
        let directory = try TestSupport.temporaryDirectory("aiosmtpd")
        let log = directory.appendingPathComponent("delivered.log")
        let script = TestSupport.pythonDirectory.appendingPathComponent("refusing_server.py").path
        let server = try ChildProcess(python, [script, "\(port)", log.path], output: directory.appendingPathComponent("server.out"))
        try await TestSupport.waitForPort(port)
        let pool = SMTPPool(configuration: .init(relays: [SMTPRelay(host: "127.0.0.1", port: port)], maxSessions: 2), logger: Self.logger)
        let data = MailMessageTests.cases()[1].0.rendered()
        var accepted: [String] = []
        for i in 0..<12 {
            let recipient = ["ok", "soft", "hard"][i % 3] + "\(i)@example.com"
            let outcome = await pool.send(OutgoingMessage(sender: "b@herald.example", recipient: recipient, data: data))
            switch (i % 3, outcome) {
            case (0, .sent): accepted.append(recipient)
            case (1, .transient(.deferred, let detail)): #expect(detail.hasPrefix("450 4.2.0"))
            case (2, .permanent(.userUnknown, let detail)): #expect(detail.hasPrefix("550 5.1.1"))
            default: Issue.record("\(recipient): \(outcome)")
            }
        }
        #expect(await pool.openedSessionCount == 1, "refusals do not cost the session")
        await pool.shutdown()
        await server.stop()
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ") }
        #expect(lines.map { String($0[1]) } == accepted)
        #expect(lines.allSatisfy { Int($0[2]) ?? 0 > 1000 })
    }
}
