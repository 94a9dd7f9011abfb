import Foundation
import HeraldMail
import Testing

/// What Python's `email` package must find in one message file (see
/// `Python/check_messages.py`).
struct MessageCheck: Encodable {
    struct Mailbox: Encodable {
        var name: String?
        var address: String
    }

    struct Expect: Encodable {
        var subject: String
        var from: Mailbox
        var to: Mailbox
        var replyTo: Mailbox?
        var messageID: String
        var date: Int
        var listUnsubscribe: String?
        var headers: [String: String]
        var text: String
        var html: String
    }

    var file: String
    var expect: Expect

    /// The expectations for a rendered message; `text` is the text part Python must find.
    init(file: URL, message: MailMessage, text: String, headers: [String: String] = [:]) {
        self.file = file.path
        var allHeaders = headers
        for header in message.extraHeaders { allHeaders[header.name] = header.value }
        expect = Expect(
            subject: message.subject,
            from: Mailbox(name: message.from.name, address: message.from.address),
            to: Mailbox(name: message.to.name, address: message.to.address),
            replyTo: message.replyTo.map { Mailbox(name: $0.name, address: $0.address) },
            messageID: message.messageID.description,
            date: Int(message.date.timeIntervalSince1970),
            listUnsubscribe: message.listUnsubscribe.map { "<\($0.url)>" + ($0.mailto.map { ", <\($0)>" } ?? "") },
            headers: allHeaders,
            text: text,
            html: message.htmlBody
        )
    }

    /// Runs the Python checker over `checks`; records an issue with its output on failure.
    static func verify(_ checks: [MessageCheck], in directory: URL) async throws {
        let manifest = directory.appendingPathComponent("manifest.json")
        try JSONEncoder().encode(checks).write(to: manifest)
        let script = TestSupport.pythonDirectory.appendingPathComponent("check_messages.py").path
        let python = TestSupport.which("python3") ?? "/usr/bin/python3"
        let (status, output) = try await TestSupport.run(python, [script, manifest.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("checked \(checks.count) messages"), "\(output)")
    }
}
