import Foundation
@testable import HeraldMail
import Logging
import Testing

/// The AUTH exchange against a scripted Python `aiosmtpd` that requires AUTH (on loopback,
/// without TLS: the pool must be told that this is allowed).
@Suite("SMTP AUTH against aiosmtpd")
struct AuthenticationTests {
    static let logger = Logger(label: "herald.mail.tests")
    static let user = "herald"
    static let password = "s3cret-Pässword"

    /// Runs `body` against an AUTH-requiring server; returns the server's log lines.
    static func withServer(
        _ label: String, excluding excluded: [String] = [], _ body: (Int) async throws -> Void
    ) async throws -> [String] {
        let python = try #require(TestSupport.which("python3"))
        let port = try TestSupport.freePort()
        let directory = try TestSupport.temporaryDirectory(label)
        let log = directory.appendingPathComponent("auth.log")
        let script = TestSupport.pythonDirectory.appendingPathComponent("auth_server.py").path
        let server = try ChildProcess(
            python, [script, "\(port)", log.path, user, password] + excluded, output: directory.appendingPathComponent("server.out")
        )
        try await TestSupport.waitForPort(port)
        do {
            try await body(port)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    static func pool(_ port: Int, password: String = password, allowPlaintext: Bool = true) -> SMTPPool {
        SMTPPool(
            configuration: .init(
                relays: [SMTPRelay(host: "127.0.0.1", port: port)], maxSessions: 1,
                credentials: .init(username: user, password: password), allowsPlaintextAuthOnLoopback: allowPlaintext
            ),
            logger: logger
        )
    }

    static func message(_ recipient: String) -> OutgoingMessage {
        OutgoingMessage(sender: "b@herald.example", recipient: recipient, data: Array("Subject: t\r\n\r\nhello\r\n".utf8))
    }

    @Test("AUTH PLAIN (preferred), then the session carries several messages", arguments: [[String](), ["LOGIN"]])
    func plain(excluded: [String]) async throws {
        let lines = try await Self.withServer("auth-plain", excluding: excluded) { port in
            let pool = Self.pool(port)
            for i in 0..<3 {
                guard case .sent = await pool.send(Self.message("r\(i)@example.com")) else {
                    Issue.record("message \(i) not sent")
                    return
                }
            }
            #expect(await pool.openedSessionCount == 1)
            await pool.shutdown()
        }
        #expect(lines == ["AUTH PLAIN ok", "DELIVERED r0@example.com", "DELIVERED r1@example.com", "DELIVERED r2@example.com"])
    }

    @Test("AUTH LOGIN when the relay offers only LOGIN")
    func login() async throws {
        let lines = try await Self.withServer("auth-login", excluding: ["PLAIN"]) { port in
            let pool = Self.pool(port)
            guard case .sent = await pool.send(Self.message("a@example.com")) else {
                Issue.record("not sent")
                return
            }
            await pool.shutdown()
        }
        #expect(lines == ["AUTH LOGIN ok", "DELIVERED a@example.com"])
    }

    @Test("A wrong password: permanent, REFUSED, with the relay's 535 and without the password")
    func wrongPassword() async throws {
        let lines = try await Self.withServer("auth-wrong") { port in
            let pool = Self.pool(port, password: "wrong-password")
            let outcome = await pool.send(Self.message("a@example.com"))
            guard case .permanent(.refused, let detail) = outcome else {
                Issue.record("expected a permanent refusal, got \(outcome)")
                return
            }
            #expect(detail.contains("refused the credentials of 'herald'") && detail.contains("535"))
            #expect(!detail.contains("wrong-password"))
            await pool.shutdown()
        }
        #expect(lines == ["AUTH PLAIN refused"])
    }

    @Test("No TLS and not allowed in clear text: nothing is sent, not even AUTH")
    func noPlaintextAuth() async throws {
        let lines = try await Self.withServer("auth-clear") { port in
            let pool = Self.pool(port, allowPlaintext: false)
            let outcome = await pool.send(Self.message("a@example.com"))
            guard case .permanent(.refused, let detail) = outcome else {
                Issue.record("expected a permanent refusal, got \(outcome)")
                return
            }
            #expect(detail.contains("without TLS"))
            await pool.shutdown()
        }
        #expect(lines.isEmpty)
    }

    @Test("Credentials print without the password")
    func credentialsDescription() {
        let credentials = SMTPPool.Credentials(username: "u", password: "p4ss")
        #expect(!"\(credentials)".contains("p4ss"))
        #expect(!String(reflecting: credentials).contains("p4ss"))
    }
}
