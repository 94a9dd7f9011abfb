import Foundation
@testable import HeraldMail
import Testing

/// The two-phase send of ``SMTPSession`` (begin, then finish with the next envelope in the
/// same write), against the capture relay: what the sending lanes will use to commit a
/// message's outcome while the next one is on the wire.
@Suite("SMTP session: begin and finish overlapped (RFC 2920)")
struct SMTPSessionOverlapTests {
    @Test("N messages over one session, each held until finished, one refused envelope")
    func overlapped() async throws {
        let refused = "refused@example.com"
        let relay = try await SMTPPoolTests.relay("overlap") { configuration in
            configuration.recipientResponses[refused] = .reply(code: 550, text: "5.1.1 user unknown")
        }
        let session = try await SMTPSession.connect(
            to: SMTPRelay(host: "127.0.0.1", port: relay.port), configuration: .init(relays: [SMTPRelay(host: "127.0.0.1", port: relay.port)])
        )
        #expect(session.pipelines)
        let count = 20
        let refusedIndex = 7
        let messages = (0..<count).map { i in
            OutgoingMessage(
                sender: "bounces@herald.example", recipient: i == refusedIndex ? refused : "r\(i)@example.com",
                data: Array("Subject: overlap \(i)\r\n\r\nbody of message \(i)\r\n.leading dot\r\n".utf8)
            )
        }
        var outcomes: [Int: DeliveryOutcome] = [:]
        var pending: (index: Int, begun: SMTPSession.Begun)?
        var sent = 0
        var next = 0
        func take(_ beginning: SMTPSession.Beginning, _ index: Int) {
            switch beginning {
            case .ready(let begun):
                pending = (index, begun)
            case .done(let outcome, let after):
                outcomes[index] = outcome
                #expect(after == .reusable, "a refused envelope keeps the session (RSET)")
            }
        }
        while next < count || pending != nil {
            guard let current = pending else {
                take(await session.begin(messages[next]), next)
                next += 1
                continue
            }
            // Held: the relay has not received the begun message yet (nothing to resend after a crash).
            #expect(relay.statistics.messages == sent)
            pending = nil
            let following = next < count ? messages[next] : nil
            let (outcome, beginning) = await session.finish(current.begun, thenBegin: following)
            outcomes[current.index] = outcome.0
            #expect(outcome.1 == .reusable)
            if case .sent = outcome.0 { sent += 1 }
            #expect(relay.statistics.messages == sent, "the next message is not delivered with the previous one")
            if let beginning {
                take(beginning, next)
                next += 1
            }
        }
        await session.quit()
        #expect(outcomes.count == count)
        for (index, outcome) in outcomes {
            if index == refusedIndex {
                #expect(outcome.failureReason == .userUnknown, "\(outcome)")
            } else if case .sent = outcome {
            } else {
                Issue.record("message \(index): \(outcome)")
            }
        }
        let statistics = relay.statistics
        #expect(statistics.connections == 1)
        #expect(statistics.messages == count - 1)
        await relay.shutdown()
        let bodies = try SMTPPoolTests.emlFiles(relay).map { try String(contentsOf: $0, encoding: .utf8) }
        #expect(bodies.count == count - 1)
        for i in 0..<count where i != refusedIndex {
            let matching = bodies.filter { $0.contains("body of message \(i)\r\n.leading dot\r\n") && $0.contains("<r\(i)@example.com>") }
            #expect(matching.count == 1, "message \(i) arrives once, intact (dot unstuffed)")
        }
    }
}
