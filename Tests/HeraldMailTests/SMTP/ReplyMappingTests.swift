@testable import HeraldMail
import NIOCore
import NIOEmbedded
import Testing

@Suite("SMTP replies")
struct ReplyMappingTests {
    @Test(
        "Replies map to outcomes and failure reasons",
        arguments: [
            (SMTPReply(code: 250, enhancedCode: "2.0.0", lines: ["ok"]), nil, false),
            (SMTPReply(code: 550, enhancedCode: "5.1.1", lines: ["user unknown"]), FailureReason.userUnknown, true),
            (SMTPReply(code: 550, lines: ["mailbox unavailable"]), .userUnknown, true),
            (SMTPReply(code: 550, enhancedCode: "5.1.2", lines: ["bad destination system"]), .invalidDomain, true),
            (SMTPReply(code: 550, lines: ["DNS lookup failed for example.invalid"]), .invalidDomain, true),
            (SMTPReply(code: 552, lines: ["mailbox full"]), .mailboxFull, true),
            (SMTPReply(code: 552, enhancedCode: "5.2.2", lines: ["over quota"]), .mailboxFull, true),
            (SMTPReply(code: 552, enhancedCode: "5.3.4", lines: ["message too big"]), .rejectedContent, true),
            (SMTPReply(code: 554, lines: ["transaction failed"]), .refused, true),
            (SMTPReply(code: 550, enhancedCode: "5.7.1", lines: ["blocked by policy"]), .refused, true),
            (SMTPReply(code: 550, lines: ["rejected by spam policy"]), .refused, true),
            (SMTPReply(code: 450, enhancedCode: "4.2.0", lines: ["busy"]), .deferred, false),
            (SMTPReply(code: 452, enhancedCode: "4.2.2", lines: ["over quota"]), .mailboxFull, false),
            (SMTPReply(code: 421, lines: ["closing"]), .unreachable, false),
            (SMTPReply(code: 451, enhancedCode: "4.7.1", lines: ["greylisted"]), .refused, false),
        ]
    )
    func mapping(reply: SMTPReply, reason: FailureReason?, permanent: Bool) {
        let outcome = DeliveryOutcome(reply: reply)
        #expect(outcome.failureReason == reason)
        if case .permanent = outcome { #expect(permanent) }
        if case .transient = outcome { #expect(!permanent) }
    }

    @Test("The decoder joins multi-line replies and splits enhanced codes")
    func decoder() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPReplyDecoder()))
        try channel.writeInbound(ByteBuffer(string: "250-mx.example hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 AUTH PLAIN LOGIN\r\n550 5.1.1 <a@b>: user unknown\r\n2"))
        let ehlo = try #require(try channel.readInbound(as: SMTPReply.self))
        #expect(ehlo.code == 250 && ehlo.lines == ["mx.example hello", "PIPELINING", "SIZE 1000", "AUTH PLAIN LOGIN"])
        let extensions = SMTPExtensions(ehloReply: ehlo)
        #expect(extensions.pipelining && extensions.size == 1000 && extensions.authMechanisms == ["PLAIN", "LOGIN"])
        let refusal = try #require(try channel.readInbound(as: SMTPReply.self))
        #expect(refusal.code == 550 && refusal.enhancedCode == "5.1.1" && refusal.lines == ["<a@b>: user unknown"])
        try channel.writeInbound(ByteBuffer(string: "21 ok\r\n"))
        #expect(try channel.readInbound(as: SMTPReply.self)?.code == 221)
        #expect(throws: SMTPError.self) { try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n")) }
        _ = try? channel.finish()
    }

    @Test("Relay addresses parse")
    func relays() {
        #expect(SMTPRelay("127.0.0.1:2525") == SMTPRelay(host: "127.0.0.1", port: 2525))
        #expect(SMTPRelay("mx.example") == SMTPRelay(host: "mx.example", port: 25))
        #expect(SMTPRelay("[::1]:25") == SMTPRelay(host: "::1", port: 25))
        #expect(SMTPRelay("host:0") == nil && SMTPRelay(":25") == nil && SMTPRelay("a:b") == nil)
    }

    @Test("Dot-stuffing doubles leading dots and terminates the data")
    func dotStuffing() {
        let payload = DotStuffing.payload(Array(".a\r\nb.\r\n..c\r\n.".utf8), allocator: ByteBufferAllocator())
        #expect(String(buffer: payload) == "..a\r\nb.\r\n...c\r\n..\r\n.\r\n")
    }
}
