import HeraldCore
import Testing

/// The engine over a ``SessionMailTransport``: each lane keeps a session, begins the next
/// message with the previous one's data, and finishes it only after the previous
/// outcome is committed.
@Suite("SendingEngine over sessions that overlap messages")
struct SendingEngineOverlapTests {
    private func addProfiles(_ fixture: SendingFixture, _ count: Int, domains: Int) async throws {
        try await fixture.preparation.addProfiles(count) { i in
            Profile(id: pid(i), email: "\(pid(i))@d\(i % domains).example", firstName: "N\(i)")
        }
    }

    @Test("Every message is sent once, chained on the lanes' sessions, never more accepted than committed + lanes")
    func overlapped() async throws {
        let store = SlowCommitStore(delay: .milliseconds(5))
        let base = FakeTransport(committed: store) { recipient, _ in
            recipient.hasPrefix("p000007@") ? .permanent(.userUnknown, reply: "550 5.1.1 user unknown") : .sent(reply: "250 OK")
        }
        let transport = SessionTransportFake(base: base)
        let fixture = SendingFixture(transport: transport, configuration: configuration(maxInFlight: 8, maxPerDomain: 8), store: store)
        try await addProfiles(fixture, 200, domains: 2)
        try await fixture.prepare(delivery("ov"))
        let seen = try await fixture.sendAndWait("ov")
        for progress in seen { #expect(progress.counts.total == 200, "\(progress.counts)") }
        #expect(seen.last?.state == .completed)
        let rows = try await fixture.ledger("ov")
        #expect(rows.count { $0.message.status == .sent } == 199)
        #expect(rows.count { $0.message.status == .failed && $0.failureReason == .userUnknown } == 1)
        #expect(base.state.withLock { $0.countByRecipient.values.allSatisfy { $0 == 1 } && $0.countByRecipient.count == 200 })
        let counts = transport.counts.withLock { $0 }
        #expect(counts.begun == 200 && counts.abandoned == 0 && counts.beganOverBegun == 0, "\(counts)")
        #expect(counts.chained > 40, "the next message goes with the previous one's data: \(counts)")
        // Accepted by the relay but not committed: at most one per lane (the crash bound).
        let uncommitted = base.state.withLock { $0.maxUncommitted }
        #expect(uncommitted <= 8, "\(uncommitted) messages accepted beyond the committed ones")
        #expect(counts.sessionsEnded >= 8, "every lane gives its session back at the end: \(counts)")
    }

    @Test("Pause with begun messages drops them undelivered; resume sends the rest, nothing twice")
    func pauseWithBegunMessages() async throws {
        let base = FakeTransport(delay: .milliseconds(3))
        let transport = SessionTransportFake(base: base)
        let fixture = SendingFixture(transport: transport, configuration: configuration(maxInFlight: 8, maxPerDomain: 8))
        try await addProfiles(fixture, 300, domains: 3)
        try await fixture.prepare(delivery("pz"))
        _ = try await fixture.engine.send(deliveryID: "pz")
        for _ in 0..<2_000 {
            if try await fixture.engine.progress(deliveryID: "pz").counts.sent >= 40 { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        // Hold lanes that have just begun their next message, ask for the pause, let them go.
        transport.holdChained.withLock { $0 = true }
        for _ in 0..<2_000 where transport.counts.withLock({ $0.held }) == 0 {
            try await Task.sleep(for: .milliseconds(1))
        }
        let pausing = Task { try await fixture.engine.pause(deliveryID: "pz") }
        try await Task.sleep(for: .milliseconds(50))
        transport.holdChained.withLock { $0 = false }
        let (paused, inFlight) = try await pausing.value
        #expect(paused.state == .paused)
        #expect(inFlight >= 0 && inFlight <= 16)
        // After the pause returned: every message the relay accepted is committed SENT,
        // the dropped ones are PENDING, and nothing is in flight any more.
        let progress = try await fixture.engine.progress(deliveryID: "pz")
        #expect(progress.counts.total == 300 && progress.counts.pending > 0, "\(progress.counts)")
        let rows = try await fixture.ledger("pz")
        let sentAtPause = rows.count { $0.message.status == .sent }
        #expect(base.attempts.count == sentAtPause, "accepted \(base.attempts.count), committed \(sentAtPause)")
        let counts = transport.counts.withLock { $0 }
        #expect(counts.abandoned > 0, "lanes held begun messages at the pause: \(counts)")
        #expect(counts.begun == sentAtPause + counts.abandoned, "\(counts), \(sentAtPause) sent")
        _ = try await fixture.engine.resume(deliveryID: "pz")
        for _ in 0..<6_000 {
            if try await fixture.engine.progress(deliveryID: "pz").state != .sending { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let after = try await fixture.ledger("pz")
        #expect(after.count == 300 && after.allSatisfy { $0.message.status == .sent && $0.attempts == 1 })
        #expect(base.state.withLock { $0.countByRecipient.count == 300 && $0.countByRecipient.values.allSatisfy { $0 == 1 } })
    }
}
