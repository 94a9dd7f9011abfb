import Foundation
@testable import HeraldMail
import Testing

/// ``SMTPLease`` against the capture relay: a sender keeps one session and overlaps each
/// message with the next one's envelope, as the sending lanes do.
@Suite("SMTP lease: a kept session, messages overlapped")
struct SMTPLeaseTests {
    /// Sends `messages` as a sending lane does (begin; finish with the next; begin again
    /// when the next was not begun) and checks after each finish that the relay has
    /// received exactly the messages finished so far: the next one is held.
    static func sendAsLane(
        _ messages: [OutgoingMessage], lease: inout SMTPLease, relay: CaptureRelay
    ) async -> [Int: DeliveryOutcome] {
        var outcomes: [Int: DeliveryOutcome] = [:]
        var current: Int?
        var next = 0
        var accepted = 0
        while next < messages.count || current != nil {
            guard let index = current else {
                switch await lease.begin(messages[next]) {
                case .begun:
                    current = next
                case .done(let outcome):
                    outcomes[next] = outcome
                    if case .sent = outcome { accepted += 1 }
                }
                next += 1
                continue
            }
            #expect(relay.statistics.messages == accepted, "a begun message is not delivered before its finish")
            current = nil
            let following = next < messages.count ? next : nil
            let (outcome, beginning) = await lease.finish(thenBegin: following.map { messages[$0] })
            outcomes[index] = outcome
            if case .sent = outcome { accepted += 1 }
            #expect(relay.statistics.messages == accepted, "the next message is not delivered with the previous one")
            guard let following, let beginning else { continue }
            next += 1
            switch beginning {
            case .begun: current = following
            case .done(let outcome): outcomes[following] = outcome
            }
        }
        return outcomes
    }

    static func message(_ i: Int, to recipient: String? = nil) -> OutgoingMessage {
        OutgoingMessage(
            sender: "bounces@herald.example", recipient: recipient ?? "r\(i)@example.com",
            data: Array("Subject: lease \(i)\r\n\r\nbody of message \(i)\r\n.leading dot\r\n".utf8)
        )
    }

    static func expectDeliveredOnce(_ relay: CaptureRelay, _ indices: [Int]) throws {
        let bodies = try SMTPPoolTests.emlFiles(relay).map { try String(contentsOf: $0, encoding: .utf8) }
        #expect(bodies.count == indices.count)
        for i in indices {
            #expect(bodies.count { $0.contains("body of message \(i)\r\n.leading dot\r\n") } == 1, "message \(i) arrives once, intact")
        }
    }

    @Test("Messages chained on one kept session; a refused recipient is RSET and the chain goes on")
    func chained() async throws {
        let refused = "refused@example.com"
        let relay = try await SMTPPoolTests.relay("lease-chain") { configuration in
            configuration.recipientResponses[refused] = .reply(code: 550, text: "5.1.1 user unknown")
        }
        let pool = SMTPPoolTests.pool(relay, sessions: 2)
        var lease = pool.lease()
        let count = 30
        let messages = (0..<count).map { i in Self.message(i, to: i == 11 ? refused : nil) }
        let outcomes = await Self.sendAsLane(messages, lease: &lease, relay: relay)
        await lease.end()
        #expect(outcomes.count == count)
        #expect(outcomes[11]?.failureReason == .userUnknown, "\(String(describing: outcomes[11]))")
        #expect(outcomes.filter { $0.key != 11 }.allSatisfy { if case .sent = $0.value { true } else { false } })
        // Every message but the first and the one after the refused one (nothing was begun
        // then) went out with the previous one's data.
        let chained = await pool.chainedMessageCount
        #expect(chained == count - 2, "\(chained) chained")
        #expect(await pool.openedSessionCount == 1)
        #expect(relay.statistics.connections == 1)
        await pool.shutdown()
        await relay.shutdown()
        try Self.expectDeliveredOnce(relay, (0..<count).filter { $0 != 11 })
    }

    @Test("A relay that drops the session after 3 messages: the held next message starts again on a new one")
    func reconnects() async throws {
        let relay = try await SMTPPoolTests.relay("lease-drop") { $0.closeAfterMessages = 3 }
        let pool = SMTPPoolTests.pool(relay, sessions: 1)
        var lease = pool.lease()
        let count = 10
        let outcomes = await Self.sendAsLane((0..<count).map { Self.message($0) }, lease: &lease, relay: relay)
        await lease.end()
        #expect(outcomes.count == count && outcomes.values.allSatisfy { if case .sent = $0 { true } else { false } }, "\(outcomes)")
        #expect(await pool.openedSessionCount == 4)
        #expect(relay.statistics.connections == 4)
        await pool.shutdown()
        await relay.shutdown()
        try Self.expectDeliveredOnce(relay, Array(0..<count))
    }

    @Test("Abandoning a begun message delivers nothing and frees the session for others")
    func abandon() async throws {
        let relay = try await SMTPPoolTests.relay("lease-abandon")
        let pool = SMTPPoolTests.pool(relay, sessions: 1, perDomain: 1)
        var lease = pool.lease()
        #expect(await lease.begin(Self.message(0)) == .begun)
        #expect(lease.hasBegun)
        await lease.abandon()
        #expect(!lease.hasBegun)
        // The slot and the domain's count are free again: the pool's only session can be opened anew.
        let outcome = await pool.send(Self.message(1))
        guard case .sent = outcome else {
            Issue.record("\(outcome)")
            return
        }
        await pool.shutdown()
        await relay.shutdown()
        #expect(relay.statistics.connections == 2)
        try Self.expectDeliveredOnce(relay, [1])
    }

    @Test("Without PIPELINING a message is sent at once by begin; nothing is ever begun or chained")
    func withoutPipelining() async throws {
        let relay = try await SMTPPoolTests.relay("lease-plain") { $0.advertisesPipelining = false }
        let pool = SMTPPoolTests.pool(relay, sessions: 1)
        var lease = pool.lease()
        let outcomes = await Self.sendAsLane((0..<5).map { Self.message($0) }, lease: &lease, relay: relay)
        await lease.end()
        #expect(outcomes.count == 5 && outcomes.values.allSatisfy { if case .sent = $0 { true } else { false } })
        #expect(await pool.chainedMessageCount == 0)
        #expect(relay.statistics.connections == 1)
        await pool.shutdown()
        await relay.shutdown()
        try Self.expectDeliveredOnce(relay, Array(0..<5))
    }

    @Test("A lease gives its session back, instead of chaining, when another sender waits for one")
    func yieldsToWaiters() async throws {
        let relay = try await SMTPPoolTests.relay("lease-yield")
        let pool = SMTPPoolTests.pool(relay, sessions: 1)
        var lease = pool.lease()
        #expect(await lease.begin(Self.message(0)) == .begun)
        // Another sender waits for the only session while message 0 is begun.
        let other = Task { await pool.send(Self.message(1)) }
        while await !pool.hasWaiters { await Task.yield() }
        let (outcome, next) = await lease.finish(thenBegin: Self.message(2))
        guard case .sent = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(next == nil, "message 2 is not chained while another sender waits")
        guard case .sent = await other.value else {
            Issue.record("the waiting sender got no session")
            return
        }
        #expect(await lease.begin(Self.message(2)) == .begun)
        let (last, none) = await lease.finish(thenBegin: nil)
        #expect(none == nil)
        guard case .sent = last else {
            Issue.record("\(last)")
            return
        }
        await lease.end()
        #expect(await pool.chainedMessageCount == 0)
        await pool.shutdown()
        await relay.shutdown()
        try Self.expectDeliveredOnce(relay, [0, 1, 2])
    }
}
