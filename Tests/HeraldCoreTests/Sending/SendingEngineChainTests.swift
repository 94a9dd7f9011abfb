import HeraldCore
import Testing

/// The engine over sessions that chain (``ChainingMailSession``): the steady state runs
/// in the session's callbacks (commit, settle, next message), anything else is handled
/// by the lane's task as without chaining; the ledger and the crash bound stay right.
@Suite("SendingEngine over sessions that chain messages on their own thread")
struct SendingEngineChainTests {
    private func addProfiles(_ fixture: SendingFixture, _ count: Int, domains: Int) async throws {
        try await fixture.preparation.addProfiles(count) { i in
            Profile(id: pid(i), email: "\(pid(i))@d\(i % domains).example", firstName: "N\(i)")
        }
    }

    @Test("Chained: every message once; a 5xx, a 4xx and a lost relay mid-chain are recorded as without chaining")
    func chained() async throws {
        let store = SlowCommitStore(delay: .milliseconds(2))
        let base = FakeTransport(committed: store) { recipient, attempt in
            if recipient.hasPrefix("p000007@") { return .permanent(.userUnknown, reply: "550 5.1.1 user unknown") }
            if recipient.hasPrefix("p000013@"), attempt == 1 { return .transient(.mailboxFull, reply: "452 4.2.2 mailbox full") }
            if recipient.hasPrefix("p000021@"), attempt == 1 { return .transient(.unreachable, reply: "connection lost") }
            return .sent(reply: "250 OK")
        }
        let transport = ChainingTransportFake(base: base)
        let fixture = SendingFixture(transport: transport, configuration: configuration(maxInFlight: 8, maxPerDomain: 8), store: store)
        try await addProfiles(fixture, 300, domains: 2)
        try await fixture.prepare(delivery("ch"))
        let seen = try await fixture.sendAndWait("ch")
        for progress in seen { #expect(progress.counts.total == 300, "\(progress.counts)") }
        #expect(seen.last?.state == .completed)
        let rows = try await fixture.ledger("ch")
        #expect(rows.count { $0.message.status == .sent } == 299)
        #expect(rows.count { $0.message.status == .failed && $0.failureReason == .userUnknown } == 1)
        let retried = rows.filter { $0.message.address.hasPrefix("p000013@") || $0.message.address.hasPrefix("p000021@") }
        #expect(retried.count == 2 && retried.allSatisfy { $0.message.status == .sent }, "\(retried)")
        #expect(rows.first { $0.message.address.hasPrefix("p000013@") }?.attempts == 2)
        let counts = base.state.withLock { $0.countByRecipient }
        #expect(counts.count == 300)
        #expect(counts.filter { $0.value != 1 }.keys.sorted() == ["p000013@d1.example", "p000021@d1.example"], "\(counts.filter { $0.value != 1 })")
        let chain = transport.counts.withLock { $0 }
        #expect(chain.advanced > 150, "most messages are carried by chains: \(chain)")
        #expect(chain.advancedOffQueue == 0, "\(chain)")
        #expect(chain.finishedByReply >= 1, "a failure ends its chain: \(chain)")
        #expect(chain.abandoned == 0, "\(chain)")
        // Accepted by the relay but not committed: at most one per lane (the crash bound),
        // plus the two first attempts answered 4xx / lost (their retry is not an outcome).
        let uncommitted = base.state.withLock { $0.maxUncommitted }
        #expect(uncommitted <= 8 + 2, "\(uncommitted) messages accepted beyond the committed ones")
    }

    @Test("Pause while lanes chain: begun messages dropped undelivered, nothing in flight; resume sends the rest once")
    func pauseWhileChaining() async throws {
        let base = FakeTransport(delay: .milliseconds(1))
        let transport = ChainingTransportFake(base: base)
        let fixture = SendingFixture(transport: transport, configuration: configuration(maxInFlight: 8, maxPerDomain: 8))
        try await addProfiles(fixture, 400, domains: 3)
        try await fixture.prepare(delivery("cp"))
        _ = try await fixture.engine.send(deliveryID: "cp")
        for _ in 0..<2_000 {
            if transport.counts.withLock({ $0.advanced }) >= 40 { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        let (paused, _) = try await fixture.engine.pause(deliveryID: "cp")
        #expect(paused.state == .paused)
        let progress = try await fixture.engine.progress(deliveryID: "cp")
        #expect(progress.counts.total == 400 && progress.counts.pending > 0, "\(progress.counts)")
        // After the pause returned, every message the relay accepted is committed SENT.
        let rows = try await fixture.ledger("cp")
        let sentAtPause = rows.count { $0.message.status == .sent }
        #expect(base.attempts.count == sentAtPause, "accepted \(base.attempts.count), committed \(sentAtPause)")
        let counts = transport.counts.withLock { $0 }
        #expect(counts.handedBack > 0 && counts.advanced >= 40, "\(counts)")
        _ = try await fixture.engine.resume(deliveryID: "cp")
        for _ in 0..<6_000 {
            if try await fixture.engine.progress(deliveryID: "cp").state != .sending { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let after = try await fixture.ledger("cp")
        #expect(after.count == 400 && after.allSatisfy { $0.message.status == .sent && $0.attempts == 1 })
        #expect(base.state.withLock { $0.countByRecipient.count == 400 && $0.countByRecipient.values.allSatisfy { $0 == 1 } })
    }
}
