import HeraldCore
import Synchronization
import Testing

/// Profiles `p000000…` spread over `domains` recipient domains `d0.example`, `d1.example`, …
private func addProfiles(_ fixture: SendingFixture, _ count: Int, domains: Int = 3) async throws {
    try await fixture.preparation.addProfiles(count) { i in
        Profile(id: pid(i), email: "\(pid(i))@d\(i % domains).example", firstName: "N\(i)")
    }
}

private func expectInvariant(_ seen: [SendingProgress], total: Int) {
    for progress in seen { #expect(progress.counts.total == total, "\(progress.counts)") }
}

@Suite("SendingEngine over in-memory stores and a fake transport")
struct SendingEngineTests {
    @Test("Group commit: outcomes share transactions, and a message counts in flight until committed")
    func groupCommit() async throws {
        let store = SlowCommitStore(delay: .milliseconds(15))
        let transport = FakeTransport(committed: store)
        let fixture = SendingFixture(transport: transport, configuration: configuration(maxInFlight: 8, maxPerDomain: 8), store: store)
        try await addProfiles(fixture, 200, domains: 1)
        try await fixture.prepare(delivery("g1"))
        let seen = try await fixture.sendAndWait("g1")
        expectInvariant(seen, total: 200)
        #expect(seen.last?.state == .completed)
        let rows = try await fixture.ledger("g1")
        #expect(rows.count == 200 && rows.allSatisfy { $0.message.status == .sent && $0.attempts == 1 })
        let groups = await store.base.appliedGroups
        #expect(groups.reduce(0) { $0 + $1.count } == 200)
        #expect(groups.count < 100, "\(groups.count) transactions for 200 outcomes: no grouping")
        // Handed to the transport but not committed: never more than the in-flight bound.
        let uncommitted = transport.state.withLock { $0.maxUncommitted }
        #expect(uncommitted <= 8, "\(uncommitted) messages handed out beyond the committed ones")
        #expect(transport.attempts.count == 200)
    }

    @Test("At most maxPerDomain messages in flight per recipient domain, several domains at once")
    func perDomainBound() async throws {
        let transport = FakeTransport(delay: .milliseconds(3))
        let fixture = SendingFixture(transport: transport, configuration: configuration(maxInFlight: 8, maxPerDomain: 2))
        try await addProfiles(fixture, 90, domains: 3)
        try await fixture.prepare(delivery("pd"))
        let seen = try await fixture.sendAndWait("pd")
        expectInvariant(seen, total: 90)
        let state = transport.state.withLock { $0 }
        #expect(state.maxInFlightByDomain.values.allSatisfy { $0 <= 2 }, "\(state.maxInFlightByDomain)")
        #expect(state.maxInFlight > 2, "domains are sent to in parallel (max \(state.maxInFlight))")
        #expect(try await fixture.ledger("pd").allSatisfy { $0.message.status == .sent })
    }

    @Test("A 4xx holds its domain back, longer after each 4xx; other domains go on")
    func domainBackoff() async throws {
        // d0.example answers 451 to its first two attempts, whatever the recipient.
        let failures = Mutex(0)
        let transport = FakeTransport { recipient, _ in
            guard recipient.hasSuffix("@d0.example") else { return .sent(reply: "250 OK") }
            let n = failures.withLock { count -> Int in count += 1; return count }
            return n <= 2 ? .transient(.other, reply: "451 4.7.1 try later") : .sent(reply: "250 OK")
        }
        let backoff = Duration.milliseconds(150)
        let fixture = SendingFixture(
            transport: transport, configuration: configuration(maxInFlight: 1, maxPerDomain: 1, domainBackoff: backoff)
        )
        try await addProfiles(fixture, 12, domains: 2)
        try await fixture.prepare(delivery("bo"))
        let seen = try await fixture.sendAndWait("bo")
        expectInvariant(seen, total: 12)
        #expect(seen.last?.state == .completed)
        let attempts = transport.attempts
        let d0 = attempts.filter { $0.recipient.hasSuffix("@d0.example") }
        #expect(d0.count == 8, "6 messages + 2 retries")
        // After the 1st 4xx the domain waits ≥ 150 ms, after the 2nd ≥ 300 ms.
        #expect(d0[1].time - d0[0].time >= backoff)
        #expect(d0[2].time - d0[1].time >= backoff * 2)
        // Meanwhile d1.example was served: some of its messages went during the first wait.
        let during = attempts.filter { $0.recipient.hasSuffix("@d1.example") && $0.time > d0[0].time && $0.time < d0[1].time }
        #expect(!during.isEmpty)
        let rows = try await fixture.ledger("bo")
        #expect(rows.allSatisfy { $0.message.status == .sent })
        #expect(rows.map(\.attempts).reduce(0, +) == 14)
    }

    @Test("An address quarantined after the preparation is FAILED (QUARANTINED), not sent")
    func quarantinedAtSendTime() async throws {
        let transport = FakeTransport()
        let fixture = SendingFixture(transport: transport, configuration: configuration())
        try await addProfiles(fixture, 20)
        try await fixture.prepare(delivery("q1"))
        try await fixture.preparation.store.quarantine(address: "P000003@D0.EXAMPLE", reason: "test", at: testNow)
        let seen = try await fixture.sendAndWait("q1")
        expectInvariant(seen, total: 20)
        let rows = try await fixture.ledger("q1")
        let row = try #require(rows.first { $0.message.profileID == pid(3) })
        #expect(row.message.status == .failed && row.failureReason == .quarantined && row.attempts == 0)
        #expect(!transport.attempts.contains { $0.recipient == "\(pid(3))@d0.example" })
        #expect(rows.filter { $0.message.status == .sent }.count == 19)
    }

    @Test("Soft failures: the 3rd TRANSIENT_EXHAUSTED of an address within the window quarantines it (cause 9 next time)")
    func softFailureQuarantine() async throws {
        let soft = "\(pid(0))@d0.example"
        let transport = FakeTransport { recipient, _ in
            recipient == soft ? .transient(.mailboxFull, reply: "452 4.2.2 mailbox full") : .sent(reply: "250 OK")
        }
        let fixture = SendingFixture(transport: transport, configuration: configuration(maxAttempts: 2, quarantineThreshold: 3))
        try await addProfiles(fixture, 5)
        for round in 1...3 {
            let id = "s\(round)"
            try await fixture.prepare(delivery(id))
            try await fixture.sendAndWait(id)
            let row = try #require(try await fixture.ledger(id).first { $0.message.address == soft })
            #expect(row.message.status == .failed && row.failureReason == .transientExhausted && row.attempts == 2)
            let quarantined = try await fixture.preparation.store.quarantinedAddresses(among: [soft])
            #expect(quarantined.isEmpty == (round < 3), "round \(round): quarantined \(quarantined)")
        }
        let (fourth, _) = try await fixture.preparation.prepare(delivery("s4"))
        #expect(fourth.state == .ready)
        let excluded = try await fixture.preparation.exclusions("s4", .quarantined)
        #expect(excluded.map(\.profileID) == [pid(0)])
    }

    @Test("A hard failure (5xx user unknown) quarantines at once")
    func hardFailureQuarantine() async throws {
        let bad = "\(pid(1))@d1.example"
        let transport = FakeTransport { recipient, _ in
            recipient == bad ? .permanent(.userUnknown, reply: "550 5.1.1 user unknown") : .sent(reply: "250 OK")
        }
        let fixture = SendingFixture(transport: transport, configuration: configuration())
        try await addProfiles(fixture, 5)
        try await fixture.prepare(delivery("h1"))
        try await fixture.sendAndWait("h1")
        #expect(try await fixture.preparation.store.quarantinedAddresses(among: [bad]) == [bad])
    }

    @Test("Throughput in the progress is recent and gives an estimated completion")
    func progressThroughput() async throws {
        let transport = FakeTransport(delay: .milliseconds(2))
        let fixture = SendingFixture(transport: transport, configuration: configuration(maxInFlight: 2, maxPerDomain: 2))
        try await addProfiles(fixture, 300)
        try await fixture.prepare(delivery("t1"))
        let seen = try await fixture.sendAndWait("t1")
        expectInvariant(seen, total: 300)
        let sending = seen.filter { $0.state == .sending && $0.throughput > 0 }
        #expect(!sending.isEmpty)
        #expect(sending.contains { $0.estimatedCompletion != nil && $0.counts.pending > 0 })
        #expect(seen.last?.throughput == 0, "no throughput once it is no longer sending")
    }
}
