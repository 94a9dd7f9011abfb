@testable import HeraldCore
import Logging
import Testing

@Suite("KPI board")
struct KPIBoardTests {
    let deliveries = InMemoryDeliveryStore()
    let progress = ScriptedProgress()
    let engagement = ScriptedEngagement()

    func makeBoard(interval: Duration = .milliseconds(100)) -> KPIBoard {
        KPIBoard(
            deliveries: deliveries, progress: progress, engagement: engagement,
            configuration: KPIBoard.Configuration(interval: interval, idleRecountInterval: .seconds(3600)),
            now: { Timestamp(seconds: 1_000) }, logger: Logger(label: "kpi-board-tests")
        )
    }

    /// Creates a delivery in the store and its scripted progress.
    func add(_ id: String, state: Delivery.State, toDeliver: Int, counts: SendingCounts? = nil) async throws {
        try await deliveries.createDelivery(preparedDelivery(id, state: state, targeted: toDeliver + 10, toDeliver: toDeliver))
        progress.set(id, state: state, counts: counts ?? SendingCounts(pending: toDeliver))
    }

    func setState(_ id: String, _ state: Delivery.State) async throws {
        _ = try await deliveries.updateDelivery(id: id) { $0.state = state }
    }

    @Test("rates follow API.md, with 0 for a zero divisor; delivered excludes soft bounces")
    func rates() {
        var snapshot = KPISnapshot(
            deliveryID: "d", state: .sending, targeted: 200, toDeliver: 100,
            ledger: SendingCounts(pending: 10, sent: 80, failed: 6, cancelled: 4),
            engagement: EngagementCounts(opens: 30, totalOpens: 50, clicks: 15, totalClicks: 40, softBounces: 5),
            updateTime: .epoch
        )
        #expect(snapshot.sent == 80)
        #expect(snapshot.delivered == 75)
        #expect(snapshot.sent + snapshot.failed + snapshot.pending + snapshot.cancelled == snapshot.toDeliver)
        #expect(snapshot.deliveryRate == 75.0 / 200.0)
        #expect(snapshot.deliveryRateToDeliver == 75.0 / 100.0)
        #expect(snapshot.openRate == 30.0 / 75.0)
        #expect(snapshot.clickRate == 15.0 / 75.0)

        snapshot = KPISnapshot(deliveryID: "e", state: .ready, updateTime: .epoch)
        #expect(snapshot.deliveryRate == 0)
        #expect(snapshot.deliveryRateToDeliver == 0)
        #expect(snapshot.openRate == 0)
        #expect(snapshot.clickRate == 0)
    }

    @Test("one poll per delivery per interval, whatever the number of watchers")
    func onePollPerDelivery() async throws {
        try await add("d1", state: .sending, toDeliver: 100)
        let board = makeBoard()
        let watches = (0..<100).map { _ in board.add(deliveryID: "d1") }
        await board.poll()
        #expect(progress.calls("d1") == 1)
        for watch in watches {
            let taken = watch.take()
            #expect(taken.count == 1)
            #expect(taken.first?.pending == 100)
            #expect(taken.first?.toDeliver == 100)
        }
        for watch in watches { board.remove(watch) }
        #expect(board.watcherCount == 0)
    }

    @Test("a burst of engagement changes between two polls becomes one snapshot with the newest counts")
    func coalescing() async throws {
        try await add("d1", state: .sending, toDeliver: 1_000, counts: SendingCounts(sent: 1_000))
        let board = makeBoard()
        let watch = board.add(deliveryID: "d1")
        await board.poll()
        #expect(watch.take().count == 1)
        for opens in 1...1_000 {
            board.engagementChanged(deliveryID: "d1", counts: EngagementCounts(opens: opens, totalOpens: opens * 2))
        }
        await board.poll()
        let taken = watch.take()
        #expect(taken.count == 1)
        #expect(taken.first?.engagement.opens == 1_000)
        #expect(taken.first?.engagement.totalOpens == 2_000)
        #expect(taken.first?.openRate == 1.0)
        // Nothing changed: nothing is posted.
        await board.poll()
        #expect(watch.take().isEmpty)
        // Out-of-order pushes never move a count back.
        board.engagementChanged(deliveryID: "d1", counts: EngagementCounts(opens: 10, totalOpens: 10, clicks: 1, totalClicks: 1))
        await board.poll()
        let merged = watch.take()
        #expect(merged.first?.engagement.opens == 1_000)
        #expect(merged.first?.engagement.clicks == 1)
        board.remove(watch)
    }

    @Test("a reader that does not read gets one snapshot, the newest, not a backlog")
    func slowReaderGetsNewest() async throws {
        try await add("d1", state: .sending, toDeliver: 50)
        let board = makeBoard()
        let slow = board.add(deliveryID: "d1")
        let fast = board.add(deliveryID: "d1")
        var fastSeen = 0
        for sent in 1...50 {
            progress.set("d1", state: .sending, counts: SendingCounts(pending: 50 - sent, sent: sent))
            await board.poll()
            fastSeen += fast.take().count
        }
        #expect(fastSeen == 50)
        let taken = slow.take()
        #expect(taken.count == 1)
        #expect(taken.first?.sent == 50)
        #expect(taken.first?.pending == 0)
        board.remove(slow)
        board.remove(fast)
    }

    @Test("sent + failed + pending + cancelled = to_deliver in every snapshot of a sending run")
    func invariant() async throws {
        let toDeliver = 60
        try await add("d1", state: .sending, toDeliver: toDeliver)
        let board = makeBoard()
        let watch = board.add(deliveryID: "d1")
        var counts = SendingCounts(pending: toDeliver)
        var seen: [KPISnapshot] = []
        var step = 0
        while counts.pending > 0 {
            step += 1
            counts.pending -= 1
            switch step % 5 {
            case 0: counts.failed += 1
            case 3 where counts.pending > 20: counts.cancelled += 1
            default: counts.sent += 1
            }
            progress.set("d1", state: .sending, counts: counts)
            await board.poll()
            seen += watch.take()
        }
        progress.set("d1", state: .completed, counts: counts)
        try await setState("d1", .completed)
        await board.poll()
        seen += watch.take()
        #expect(seen.count == step + 1)
        for snapshot in seen {
            #expect(snapshot.sent + snapshot.failed + snapshot.pending + snapshot.cancelled == snapshot.toDeliver)
        }
        #expect(seen.last?.state == .completed)
        board.remove(watch)
    }

    @Test("watching every active delivery: active ones only, each one's final snapshot, then nothing more")
    func allActive() async throws {
        try await add("sending", state: .sending, toDeliver: 10)
        try await add("ready", state: .ready, toDeliver: 10)
        let board = makeBoard()
        let watch = board.add(deliveryID: nil)
        await board.poll()
        #expect(watch.take().map(\.deliveryID) == ["sending"])
        #expect(progress.calls("ready") == 0)

        progress.set("sending", state: .completed, counts: SendingCounts(sent: 10))
        try await setState("sending", .completed)
        await board.poll()
        let final = watch.take()
        #expect(final.map(\.deliveryID) == ["sending"])
        #expect(final.first?.state == .completed)
        #expect(board.followedCount == 0)

        board.engagementChanged(deliveryID: "sending", counts: EngagementCounts(opens: 3, totalOpens: 3))
        await board.poll()
        #expect(watch.take().isEmpty)

        // A delivery that starts sending joins the watch.
        progress.set("ready", state: .sending, counts: SendingCounts(pending: 9, sent: 1))
        try await setState("ready", .sending)
        await board.poll()
        #expect(watch.take().map(\.deliveryID) == ["ready"])

        // A delivery followed by its own watcher that went READY → SENDING → COMPLETED
        // between two polls: the every-active watch still gets its final snapshot.
        try await add("quick", state: .ready, toDeliver: 2)
        let own = board.add(deliveryID: "quick")
        await board.poll()
        #expect(watch.take().isEmpty)
        progress.set("quick", state: .completed, counts: SendingCounts(sent: 2))
        try await setState("quick", .completed)
        await board.poll()
        #expect(watch.take().map(\.deliveryID) == ["quick"])
        #expect(own.take().last?.state == .completed)
        board.remove(own)
        board.remove(watch)
        #expect(board.followedCount == 0)
    }

    @Test("an idle delivery's ledger is counted once, then again only when told it changed")
    func idleRecount() async throws {
        try await add("done", state: .completed, toDeliver: 5, counts: SendingCounts(sent: 5))
        engagement.set("done", EngagementCounts(opens: 2, totalOpens: 4))
        let board = makeBoard()
        let watch = board.add(deliveryID: "done")
        await board.poll()
        let first = watch.take()
        #expect(first.first?.engagement.opens == 2)
        #expect(first.first?.delivered == 5)
        await board.poll()
        await board.poll()
        #expect(progress.calls("done") == 1)

        progress.set("done", state: .completed, counts: SendingCounts(sent: 4, failed: 1))
        board.engagementChanged(deliveryID: "done", counts: EngagementCounts(opens: 2, totalOpens: 4, hardBounces: 1))
        board.ledgerChanged(deliveryID: "done")
        await board.poll()
        #expect(progress.calls("done") == 2)
        let bounced = watch.take()
        #expect(bounced.count == 1)
        #expect(bounced.first?.sent == 4)
        #expect(bounced.first?.failed == 1)
        #expect(bounced.first?.engagement.hardBounces == 1)
        board.remove(watch)
    }

    @Test("removing a watch frees it and what only it followed; a deleted delivery ends its watches")
    func removalAndDeletion() async throws {
        try await add("d1", state: .ready, toDeliver: 3)
        let board = makeBoard()
        try await board.withWatch(deliveryID: "d1") { _ in
            #expect(board.watcherCount == 1)
            #expect(board.followedCount == 1)
        }
        #expect(board.watcherCount == 0)
        #expect(board.followedCount == 0)

        await #expect(throws: HeraldError.self) {
            try await board.withWatch(deliveryID: "missing") { _ in }
        }

        let watch = board.add(deliveryID: "d1")
        await board.poll()
        #expect(watch.take().count == 1)
        try await deliveries.deleteDelivery(id: "d1") { _ in }
        await board.poll()
        #expect(watch.endReason == .deleted)
        var wakeups = 0
        for await _ in watch.wakeups { wakeups += 1 }
        #expect(wakeups <= 1)
        #expect(board.watcherCount == 0)
        #expect(board.followedCount == 0)
    }

    @Test("run(): a change reaches a reading watcher; cancelling the loop ends every watch")
    func runLoop() async throws {
        try await add("d1", state: .sending, toDeliver: 4, counts: SendingCounts(pending: 4))
        let board = makeBoard(interval: .milliseconds(20))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await board.run() }
            let reason = try await board.withWatch(deliveryID: "d1") { watch -> KPIWatch.EndReason? in
                var pushed = false
                for await _ in watch.wakeups {
                    for snapshot in watch.take() {
                        if !pushed {
                            #expect(snapshot.pending == 4)
                            board.engagementChanged(deliveryID: "d1", counts: EngagementCounts(opens: 1, totalOpens: 1))
                            pushed = true
                        } else if snapshot.engagement.opens == 1 {
                            group.cancelAll()
                        }
                    }
                }
                return watch.endReason
            }
            #expect(reason == .shutdown)
        }
        #expect(board.watcherCount == 0)
    }
}
