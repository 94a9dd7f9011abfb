import Foundation
@testable import HeraldMail
import Synchronization
import Testing

/// ``SMTPLease/chain(thenBegin:advance:)`` against the capture relay: the steady state
/// runs on the sessions' event loop, each message is delivered only after `advance`
/// called back for the one before it, and a refusal or a dropped connection ends the
/// chain the way ``SMTPLease/finish(thenBegin:)`` reports it.
@Suite("SMTP lease: messages chained on the event loop")
struct SMTPLeaseChainTests {
    /// What the test's `advance` saw, shared with the event loop.
    final class Log: Sendable {
        struct State {
            /// The message whose data goes out next, and the one begun with it.
            var current = 0
            var following = 0
            /// The next message to hand to the chain.
            var nextIndex = 0
            var outcomes: [Int: DeliveryOutcome] = [:]
            var advanced = 0
            var offLoop = 0
            /// `advance` calls where the relay had more (or fewer) messages than accepted.
            var deliveredWrongly = 0
            var accepted = 0
        }

        let state = Mutex(State())
    }

    /// Sends `messages` as a chaining lane does: begin; chain with the next; when the
    /// chain ends, record the outcome it reports and go on (begin again when nothing is
    /// begun, finish the last one).
    static func sendAsChainingLane(
        _ messages: [OutgoingMessage], lease: inout SMTPLease, relay: CaptureRelay
    ) async -> (outcomes: [Int: DeliveryOutcome], log: Log.State) {
        let log = Log()
        var begun: Int?
        var next = 0
        while next < messages.count || begun != nil {
            guard let index = begun else {
                switch await lease.begin(messages[next]) {
                case .begun:
                    begun = next
                case .done(let outcome):
                    log.state.withLock {
                        $0.outcomes[next] = outcome
                        if case .sent = outcome { $0.accepted += 1 }
                    }
                }
                next += 1
                continue
            }
            begun = nil
            guard next < messages.count else {
                let (outcome, _) = await lease.finish(thenBegin: nil)
                log.state.withLock { $0.outcomes[index] = outcome }
                continue
            }
            log.state.withLock {
                $0.current = index
                $0.following = next
                $0.nextIndex = next + 1
            }
            let end = await lease.chain(thenBegin: messages[next]) { reply, then in
                let following = log.state.withLock { s -> Int? in
                    s.advanced += 1
                    if !SMTPSession.eventLoop.inEventLoop { s.offLoop += 1 }
                    s.outcomes[s.current] = .sent(reply)
                    s.accepted += 1
                    if relay.statistics.messages != s.accepted { s.deliveredWrongly += 1 }
                    s.current = s.following
                    guard s.nextIndex < messages.count else { return nil }
                    s.following = s.nextIndex
                    s.nextIndex += 1
                    return s.following
                }
                then(following.map { messages[$0] })
            }
            let state = log.state.withLock { $0 }
            switch end {
            case .handedBack(let declined):
                #expect(declined == nil)
                begun = state.current
                next = state.nextIndex
            case .finished(let outcome, let beginning):
                log.state.withLock {
                    $0.outcomes[state.current] = outcome
                    if case .sent = outcome { $0.accepted += 1 }
                }
                next = state.following + 1
                switch beginning {
                case .begun?:
                    begun = state.following
                case .done(let nextOutcome)?:
                    log.state.withLock { $0.outcomes[state.following] = nextOutcome }
                case nil:
                    next = state.following
                }
            }
        }
        return (log.state.withLock { $0.outcomes }, log.state.withLock { $0 })
    }

    @Test("A chain carries message after message on the event loop; each is delivered only after advance called back")
    func steady() async throws {
        let relay = try await SMTPPoolTests.relay("chain-steady")
        let pool = SMTPPoolTests.pool(relay, sessions: 1)
        var lease = pool.lease()
        let count = 20
        let (outcomes, log) = await Self.sendAsChainingLane((0..<count).map { SMTPLeaseTests.message($0) }, lease: &lease, relay: relay)
        await lease.end()
        #expect(outcomes.count == count && outcomes.values.allSatisfy { if case .sent = $0 { true } else { false } }, "\(outcomes)")
        // Messages 0...18 are accepted inside the chain; 19 is finished by the lane.
        #expect(log.advanced == count - 1)
        #expect(log.offLoop == 0, "advance runs on the sessions' event loop")
        #expect(log.deliveredWrongly == 0, "the begun message is not delivered before advance called back")
        #expect(await pool.chainedMessageCount == count - 1)
        #expect(relay.statistics.connections == 1)
        await pool.shutdown()
        await relay.shutdown()
        try SMTPLeaseTests.expectDeliveredOnce(relay, Array(0..<count))
    }

    @Test("A 5xx and a 4xx mid-chain end the chain as finish reports them (RSET); the lane goes on on the same session")
    func refusals() async throws {
        let unknown = "unknown@example.com"
        let busy = "busy@example.com"
        let relay = try await SMTPPoolTests.relay("chain-refusals") { configuration in
            configuration.recipientResponses[unknown] = .reply(code: 550, text: "5.1.1 user unknown")
            configuration.recipientResponses[busy] = .reply(code: 450, text: "4.2.1 try later")
        }
        let pool = SMTPPoolTests.pool(relay, sessions: 1)
        var lease = pool.lease()
        let count = 16
        let messages = (0..<count).map { i in SMTPLeaseTests.message(i, to: i == 5 ? unknown : i == 9 ? busy : nil) }
        let (outcomes, log) = await Self.sendAsChainingLane(messages, lease: &lease, relay: relay)
        await lease.end()
        #expect(outcomes.count == count)
        guard case .permanent(.userUnknown, _)? = outcomes[5], case .transient? = outcomes[9] else {
            Issue.record("5: \(String(describing: outcomes[5])), 9: \(String(describing: outcomes[9]))")
            return
        }
        #expect(outcomes.filter { $0.key != 5 && $0.key != 9 }.allSatisfy { if case .sent = $0.value { true } else { false } })
        #expect(log.offLoop == 0 && log.deliveredWrongly == 0)
        #expect(log.advanced >= 8, "\(log.advanced) accepted inside chains")
        #expect(relay.statistics.connections == 1, "a refused envelope is RSET, the session is kept")
        await pool.shutdown()
        await relay.shutdown()
        try SMTPLeaseTests.expectDeliveredOnce(relay, (0..<count).filter { $0 != 5 && $0 != 9 })
    }

    @Test("A relay that drops the session mid-chain: the accepted message is reported, the begun one starts again on a new session")
    func dropped() async throws {
        let relay = try await SMTPPoolTests.relay("chain-drop") { $0.closeAfterMessages = 4 }
        let pool = SMTPPoolTests.pool(relay, sessions: 1)
        var lease = pool.lease()
        let count = 14
        let (outcomes, log) = await Self.sendAsChainingLane((0..<count).map { SMTPLeaseTests.message($0) }, lease: &lease, relay: relay)
        await lease.end()
        #expect(outcomes.count == count && outcomes.values.allSatisfy { if case .sent = $0 { true } else { false } }, "\(outcomes)")
        #expect(log.offLoop == 0 && log.deliveredWrongly == 0)
        #expect(relay.statistics.connections == 4, "\(relay.statistics)")
        await pool.shutdown()
        await relay.shutdown()
        try SMTPLeaseTests.expectDeliveredOnce(relay, Array(0..<count))
    }
}
