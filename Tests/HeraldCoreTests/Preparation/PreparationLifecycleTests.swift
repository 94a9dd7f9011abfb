@testable import HeraldCore
import Testing

@Suite("Preparation lifecycle: progress, stop, re-prepare, staleness")
struct PreparationLifecycleTests {
    @Test("stop mid-way returns to DRAFT with one log entry, then re-prepare")
    func stopAndReprepare() async throws {
        // The in-memory profile store sorts on every page: keep it small.
        let f = EngineFixture(batchSize: 10)
        try await f.addProfiles(2_000)
        let d = delivery(rules: [.capacity(name: "cap", maxMessages: 1_500)])
        try await f.deliveries.createDelivery(d)
        _ = try await f.engine.prepare(deliveryID: "d1")
        // Again while PREPARING: the same preparation.
        #expect(try await f.engine.prepare(deliveryID: "d1").state == .preparing)
        var stoppedAt: PreparationProgress?
        var last: PreparationProgress?
        for await progress in try await f.engine.watch(deliveryID: "d1") {
            #expect(progress.kpis.targeted == progress.kpis.toDeliver + progress.kpis.toExclude)
            if stoppedAt == nil, progress.phase == .targeting, progress.processed >= 50 {
                stoppedAt = progress
                let stopped = try await f.engine.stop(deliveryID: "d1")
                #expect(stopped.state == .draft)
                #expect(stopped.preparation?.state == .stopped)
            }
            last = progress
        }
        #expect(stoppedAt != nil)
        #expect(last?.state == .stopped)
        #expect(last?.kpis == PreparationKPIs())
        #expect(try await f.exclusions("d1").isEmpty)
        let logs = try await f.store.listLogEntries(deliveryID: "d1", minimumSeverity: nil, after: nil, limit: 10).items
        #expect(logs.map(\.code) == [PreparationLogCode.stopped])
        #expect(try await f.store.listMessages(deliveryID: "d1", statuses: nil, after: nil, limit: 10).items.isEmpty)
        // Stopping again is refused: it is not PREPARING.
        await #expect(throws: HeraldError.self) { try await f.engine.stop(deliveryID: "d1") }

        let (prepared, snapshots) = try await f.prepare(d)
        #expect(prepared.state == .ready)
        #expect(prepared.preparation?.targeted == 2_000)
        #expect(prepared.preparation?.exclusionCounts == [.targetLimited: 500])
        #expect(snapshots.first.map { $0.state == .running || $0.state == .succeeded } == true)
        #expect(snapshots.last?.state == .succeeded)
        let messages = try await f.store.listMessages(deliveryID: "d1", statuses: [.pending], after: nil, limit: 2_000).items
        #expect(messages.count == 1_500)
        // A late watcher gets the final state once.
        var late: [PreparationProgress] = []
        for await progress in try await f.engine.watch(deliveryID: "d1") { late.append(progress) }
        #expect(late.count == 1 && late[0].state == .succeeded)
    }

    @Test("several watchers see the same final KPIs; a watcher that leaves changes nothing")
    func watchers() async throws {
        let f = EngineFixture(batchSize: 50)
        try await f.addProfiles(3_000)
        try await f.deliveries.createDelivery(delivery())
        _ = try await f.engine.prepare(deliveryID: "d1")
        let leaving = try await f.engine.watch(deliveryID: "d1")
        var iterator = leaving.makeAsyncIterator()
        _ = await iterator.next()
        async let a = collect(try await f.engine.watch(deliveryID: "d1"))
        async let b = collect(try await f.engine.watch(deliveryID: "d1"))
        let (sa, sb) = try await (a, b)
        #expect(sa.last?.kpis == sb.last?.kpis)
        #expect(sa.last?.kpis.targeted == 3_000)
        // Every log entry reaches each watcher exactly once.
        let stored = try await f.store.listLogEntries(deliveryID: "d1", minimumSeverity: nil, after: nil, limit: 100).items
        #expect(sa.flatMap(\.newLogEntries) == stored)
        #expect(sb.flatMap(\.newLogEntries) == stored)
    }

    private func collect(_ watch: PreparationWatch) async -> [PreparationProgress] {
        var out: [PreparationProgress] = []
        for await progress in watch {
            #expect(progress.kpis.targeted == progress.kpis.toDeliver + progress.kpis.toExclude)
            out.append(progress)
        }
        return out
    }

    @Test("the snapshot hash changes with content, audience, rules, schedule and tracking only")
    func staleness() {
        let base = delivery(rules: [.capacity(name: "c", maxMessages: 5)])
        let hash = base.snapshotHash
        #expect(hash.count == 64)
        var changes: [Delivery] = []
        var d = base; d.content.subject += "!"; changes.append(d)
        d = base; d.content.htmlBody += " "; changes.append(d)
        d = base; d.content.textBody = ""; changes.append(d)
        d = base; d.content.sender.name = "x"; changes.append(d)
        d = base; d.content.replyTo = "r@example.com"; changes.append(d)
        d = base; d.audience.filter = "tags EXISTS"; changes.append(d)
        d = base; d.typology.rules = [.capacity(name: "c", maxMessages: 6)]; changes.append(d)
        d = base; d.typology.rules = []; changes.append(d)
        d = base; d.schedule.sendTime = testNow; changes.append(d)
        d = base; d.schedule.validUntil = testNow; changes.append(d)
        d = base; d.trackingEnabled = false; changes.append(d)
        let hashes = changes.map(\.snapshotHash)
        #expect(!hashes.contains(hash))
        #expect(Set(hashes).count == hashes.count)
        d = base; d.name = "other"; d.rateLimitPerSecond = 10; d.state = .ready
        #expect(d.snapshotHash == hash)
    }

    @Test("SHA-256 known answers")
    func sha256() {
        #expect(SHA256.hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("a delivery left PREPARING by a restart is reset to DRAFT")
    func recovery() async throws {
        let f = EngineFixture()
        var d = delivery()
        d.state = .preparing
        try await f.deliveries.createDelivery(d)
        #expect(try await f.engine.recoverInterrupted() == ["d1"])
        #expect(try await f.deliveries.delivery(id: "d1")?.state == .draft)
        let logs = try await f.store.listLogEntries(deliveryID: "d1", minimumSeverity: nil, after: nil, limit: 10).items
        #expect(logs.map(\.code) == [PreparationLogCode.interrupted])
    }
}
