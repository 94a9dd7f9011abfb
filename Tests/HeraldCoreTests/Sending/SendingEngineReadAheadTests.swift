import HeraldCore
import Synchronization
import Testing

/// The lanes' read-ahead: the next batch is read in the background once at most
/// `readAhead` rows are left to hand out, so that the lanes (and their chains) do not
/// wait at a batch border; each batch is read once, in order, and every message is sent
/// once; a pause while a batch is read and a failed read keep the ledger right.
@Suite("SendingEngine reads the next batch ahead, in the background")
struct SendingEngineReadAheadTests {
    private func addProfiles(_ fixture: SendingFixture, _ count: Int, domains: Int) async throws {
        try await fixture.preparation.addProfiles(count) { i in
            Profile(id: pid(i), email: "\(pid(i))@d\(i % domains).example", firstName: "N\(i)")
        }
    }

    @Test("The next batch is asked for before the last rows of a batch are handed out: sends of those rows wait for it and never time out")
    func readAheadBeforeTheBorder() async throws {
        // Batches of 48, read-ahead at 24 rows left (half a batch); the last
        // 20 rows of each batch are answered only once the read of the next batch has
        // started. Without read-ahead the 8 lanes (each holding at most 2 messages: the
        // one sent and the one begun with it) would all wait on those rows with 4 rows
        // or more left to hand out, and the next batch would never be read (each wait
        // gives up after 5 s and is counted).
        let (count, batch, gated) = (240, 48, 20)
        let store = ReadCountingStore()
        let gateBy = Mutex<[String: Int]>([:])
        let timeouts = Mutex(0)
        let base = FakeTransport(gate: { recipient in
            guard let cursor = gateBy.withLock({ $0[recipient] }) else { return }
            for _ in 0..<5_000 {
                if await store.readCursors.contains(cursor) { return }
                try? await Task.sleep(for: .milliseconds(1))
            }
            timeouts.withLock { $0 += 1 }
        })
        let transport = ChainingTransportFake(base: base)
        let fixture = SendingFixture(
            transport: transport,
            configuration: configuration(maxInFlight: 8, maxPerDomain: 8, batchSize: batch, readAhead: 24),
            store: store
        )
        try await addProfiles(fixture, count, domains: 2)
        try await fixture.prepare(delivery("ra"))
        let rows = try await fixture.ledger("ra").sorted { $0.message.sequence < $1.message.sequence }
        #expect(rows.count == count)
        // Each batch's cursor: the sequence of its last row.
        let cursors = stride(from: batch - 1, to: count, by: batch).map { rows[$0].message.sequence }
        gateBy.withLock { gate in
            for (index, row) in rows.enumerated() where index % batch >= batch - gated {
                gate[row.message.address] = cursors[index / batch]
            }
        }
        let seen = try await fixture.sendAndWait("ra")
        #expect(seen.last?.state == .completed)
        #expect(timeouts.withLock { $0 } == 0, "rows of a batch were sent before the next batch was asked for")
        // Each batch read once, in sequence order, then the empty read at the end.
        let read = await store.readCursors
        #expect(read == [0] + cursors, "\(read)")
        let after = try await fixture.ledger("ra")
        #expect(after.count == count && after.allSatisfy { $0.message.status == .sent && $0.attempts == 1 })
        let sent = base.state.withLock { $0.countByRecipient }
        #expect(sent.count == count && sent.values.allSatisfy { $0 == 1 })
        let chains = transport.counts.withLock { $0 }
        #expect(chains.advanced > count / 2, "most messages are carried by chains: \(chains)")
    }

    @Test("Pause while batches are read slowly: nothing is sent after the pause returned; resume sends the rest once")
    func pauseWhileReading() async throws {
        let store = ReadCountingStore(readDelay: .milliseconds(20))
        let base = FakeTransport(delay: .milliseconds(1))
        let transport = ChainingTransportFake(base: base)
        let fixture = SendingFixture(
            transport: transport, configuration: configuration(maxInFlight: 8, maxPerDomain: 8), store: store
        )
        try await addProfiles(fixture, 300, domains: 3)
        try await fixture.prepare(delivery("rp"))
        _ = try await fixture.engine.send(deliveryID: "rp")
        for _ in 0..<2_000 {
            if base.attempts.count >= 60 { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        let (paused, _) = try await fixture.engine.pause(deliveryID: "rp")
        #expect(paused.state == .paused)
        let sentAtPause = try await fixture.ledger("rp").count { $0.message.status == .sent }
        let attemptsAtPause = base.attempts.count
        #expect(attemptsAtPause == sentAtPause, "accepted \(attemptsAtPause), committed \(sentAtPause)")
        #expect(sentAtPause < 300)
        // A read under way at the pause hands nothing out afterwards.
        try await Task.sleep(for: .milliseconds(60))
        #expect(base.attempts.count == attemptsAtPause)
        _ = try await fixture.engine.resume(deliveryID: "rp")
        for _ in 0..<6_000 {
            if try await fixture.engine.progress(deliveryID: "rp").state != .sending { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let after = try await fixture.ledger("rp")
        #expect(after.count == 300 && after.allSatisfy { $0.message.status == .sent && $0.attempts == 1 })
        #expect(base.state.withLock { $0.countByRecipient.count == 300 && $0.countByRecipient.values.allSatisfy { $0 == 1 } })
    }

    @Test("A failed read ahead: the rows read are sent, the last look reads again from the start, every message once")
    func failedReadAhead() async throws {
        // The third batch's read fails once (after the second batch's last row).
        let store = ReadCountingStore()
        let base = FakeTransport()
        let fixture = SendingFixture(
            transport: ChainingTransportFake(base: base), configuration: configuration(maxInFlight: 8, maxPerDomain: 8),
            store: store
        )
        try await addProfiles(fixture, 100, domains: 2)
        try await fixture.prepare(delivery("rf"))
        let rows = try await fixture.ledger("rf").sorted { $0.message.sequence < $1.message.sequence }
        await store.failOnce(after: rows[49].message.sequence)
        let seen = try await fixture.sendAndWait("rf")
        #expect(seen.last?.state == .completed)
        let (failed, read) = (await store.failedReads, await store.readCursors)
        #expect(failed == 1)
        #expect(read.count { $0 == 0 } == 2, "read again from the start: \(read)")
        let after = try await fixture.ledger("rf")
        #expect(after.count == 100 && after.allSatisfy { $0.message.status == .sent && $0.attempts == 1 })
        #expect(base.state.withLock { $0.countByRecipient.count == 100 && $0.countByRecipient.values.allSatisfy { $0 == 1 } })
    }
}
