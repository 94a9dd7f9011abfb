import GRPCInterop
import HeraldCore
import HeraldMail
import HeraldProtos
import HeraldRPC
import HeraldServer
import HeraldStore
import HeraldTracking
import Logging
import Synchronization
import Testing

/// WatchKpis and Delivery.kpis end to end over gRPC: a real SQLite file, a real capture
/// relay on loopback, engagement recorded through TrackingService.RecordEvents.
@Suite("KPIs", .serialized)
struct KPIServiceTests {
    static let key = "kpis:0123456789abcdef-kpi-secret"

    @Test("WatchKpis: sent/delivered reach to_deliver; recorded opens and clicks appear in the stream and in GetDelivery")
    func sendingAndEngagement() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let relay = try await CaptureRelay.start(
            configuration: CaptureRelay.Configuration(directory: directory.path + "/outbox"), logger: quietLogger
        )
        defer { Task { await relay.shutdown() } }
        let tokens = try HMACTrackingTokens(keys: [TrackingKey(parsing: Self.key)])
        let profiles = 12

        try await withKPIHerald(directory: directory, relayPort: relay.port) { client in
            _ = try await client.upsert((1...profiles).map { profileMessage("p\($0)", firstName: "P\($0)") })
            var delivery = deliveryMessage()
            var content = delivery.content ?? .init()
            content.htmlBody = #"<p>Hi {{first_name}}</p><a href="https://example.com/a">A</a><a href="{{unsubscribe_url}}">u</a>"#
            delivery.content = content
            // 20 messages a second: the sending lasts several board intervals.
            var typology = delivery.typology ?? .init()
            typology.rateLimitPerSecond = 20
            delivery.typology = typology
            let id = try await client.createDelivery(delivery).id
            try await client.prepareUntilReady(id)

            let ready = try await client.getDelivery(id)
            #expect(ready.kpis?.toDeliver == Int64(profiles))
            #expect(ready.kpis?.pending == Int64(profiles))
            #expect(ready.kpis?.sent == 0)

            // One watcher of the delivery and one of every active delivery, opened before sending.
            let one = Collected<Herald_V1_KpiUpdate>()
            let all = Collected<Herald_V1_KpiUpdate>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await client.watchKPIs(id) { update in
                        one.append(update)
                        return update.kpis?.clicks == 1 && update.kpis?.opens == 2
                    }
                }
                group.addTask {
                    try await client.watchKPIs("") { update in
                        all.append(update)
                        return update.state == .completed
                    }
                }
                // The first message of the delivery's stream is its current snapshot (READY).
                try await waitUntil { !one.items.isEmpty }
                #expect(one.items.first?.state == .ready)

                var send = Herald_V1_SendDeliveryRequest()
                send.deliveryId = id
                _ = try await client.call(Herald_V1_DeliveryService.sendDelivery, send)
                try await waitUntil { one.items.last?.state == .completed }

                let ledger = try SQLiteStore(path: directory.databasePath, logger: quietLogger)
                let entries = try await ledger.listLedger(deliveryID: id, statuses: nil, after: nil, limit: 100).items
                try ledger.close()
                let ids = entries.map(\.message.trackingID)
                // An hour after sending: human opens, not machine ones.
                let later = entries[0].sentTime.map { Timestamp(microsecondsSinceEpoch: $0.microsecondsSinceEpoch + 3_600_000_000) }
                var record = Herald_V1_RecordEventsRequest()
                record.events = [
                    event(tokens, ids[0], .open), event(tokens, ids[0], .open), event(tokens, ids[1], .open),
                    event(tokens, ids[1], .click(index: 0)),
                ].map { var event = $0; event.occurTime = later?.protoForTests; return event }
                let recorded = try await client.call(Herald_V1_TrackingService.recordEvents, record)
                #expect(recorded.acceptedCount == 4, "\(recorded.errors)")
                do {
                    try await group.waitForAll()
                } catch {
                    Issue.record("last of one: \(String(describing: one.items.last)) last of all: \(String(describing: all.items.last))")
                    throw error
                }
            }

            let updates = one.items
            for update in updates {
                let kpis = update.kpis ?? .init()
                #expect(kpis.sent + kpis.failed + kpis.pending + kpis.cancelled == kpis.toDeliver)
                #expect(update.deliveryId == id)
            }
            let completed = try #require(updates.first { $0.state == .completed }?.kpis)
            #expect(completed.sent == Int64(profiles))
            #expect(completed.delivered == Int64(profiles))
            #expect(completed.deliveryRateToDeliver == 1)
            let last = try #require(updates.last?.kpis)
            #expect(last.opens == 2)
            #expect(last.totalOpens == 3)
            #expect(last.clicks == 1)
            #expect(last.totalClicks == 1)
            #expect(last.openRate == 2.0 / Double(profiles))
            #expect(last.clickRate == 1.0 / Double(profiles))
            // Sending was seen move, not only its end.
            #expect(updates.contains { $0.state == .sending })

            let watchedAll = all.items
            #expect(watchedAll.allSatisfy { $0.deliveryId == id })
            #expect(watchedAll.first?.state == .sending || watchedAll.first?.state == .completed)
            #expect(watchedAll.last?.kpis?.sent == Int64(profiles))

            // GetDelivery and ListDeliveries return the same numbers.
            let fetched = try await client.getDelivery(id).kpis
            #expect(fetched?.opens == 2)
            #expect(fetched?.totalOpens == 3)
            #expect(fetched?.clicks == 1)
            #expect(fetched?.delivered == Int64(profiles))
            #expect(fetched?.openRate == last.openRate)
            let listed = try await client.listDeliveries().deliveries.first { $0.id == id }
            #expect(listed?.kpis == fetched)
        }
    }

    @Test("a WatchKpis client that goes away is removed from the board; a deleted delivery ends its stream NOT_FOUND")
    func disconnectAndDelete() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try SQLiteStore(path: directory.databasePath, logger: quietLogger)
        defer { try? store.close() }
        let board = KPIBoard(
            deliveries: store, progress: LedgerProgress(store: store), engagement: store,
            configuration: KPIBoard.Configuration(interval: .milliseconds(20)), now: { Timestamp(seconds: 1) }, logger: quietLogger
        )
        let service = DeliveryService(
            deliveries: store, preparations: store,
            engine: PreparationEngine(deliveries: store, store: store, renderer: NoRenderer(), now: { Timestamp(seconds: 1) }, logger: quietLogger),
            ledger: store, kpis: board, idempotency: store, logger: quietLogger
        )
        var router = RPCRouter()
        service.register(into: &router)
        let server = try GRPCServer(configuration: .init(address: "127.0.0.1:0"), router: router, logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await server.serve() }
            group.addTask { await board.run() }
            let client = GRPCClient(target: "127.0.0.1:\(server.port)")
            let id = try await client.createDelivery(deliveryMessage()).id

            // 20 clients read their first snapshot, then go away.
            try await withThrowingTaskGroup(of: Herald_V1_KpiUpdate?.self) { watchers in
                for _ in 0..<20 {
                    watchers.addTask {
                        let first = Collected<Herald_V1_KpiUpdate>()
                        try await client.watchKPIs(id) { update in
                            first.append(update)
                            return true
                        }
                        return first.items.first
                    }
                }
                for try await first in watchers {
                    #expect(first?.state == .draft)
                    #expect(first?.deliveryId == id)
                }
            }
            try await waitUntil { board.watcherCount == 0 }
            #expect(board.watcherCount == 0)

            // A watcher of a delivery that gets deleted: the stream ends with NOT_FOUND.
            let seen = Collected<Herald_V1_KpiUpdate>()
            let watched = Task {
                try await client.watchKPIs(id) { update in
                    seen.append(update)
                    return false
                }
            }
            try await waitUntil { !seen.items.isEmpty }
            try await client.deleteDelivery(id)
            await expectRPCError(.notFound) { try await watched.value }
            try await waitUntil { board.watcherCount == 0 }
            #expect(board.watcherCount == 0)

            await expectRPCError(.notFound) { try await client.watchKPIs("no-such-delivery") { _ in true } }
            await client.close()
            server.beginGracefulShutdown()
            board.stop()
            try await group.waitForAll()
        }
    }
}

/// A signed tracking event of a message.
private func event(_ tokens: HMACTrackingTokens, _ trackingID: String, _ action: TrackingAction) -> Herald_V1_TrackingEvent {
    var event = Herald_V1_TrackingEvent()
    event.token = tokens.token(trackingID: trackingID, action: action)
    switch action {
    case .click: event.payload = .clickEvent(.init())
    default: event.payload = .openEvent({ var open = Herald_V1_OpenEvent(); open.userAgent = "Thunderbird/128"; return open }())
    }
    return event
}

/// Values appended by one task and read by another.
private final class Collected<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    func append(_ value: Value) {
        values.withLock { $0.append(value) }
    }

    var items: [Value] {
        values.withLock { $0 }
    }
}

/// Waits (at most 30 s) until `condition` holds; records an issue when it never does.
private func waitUntil(_ condition: () -> Bool) async throws {
    for _ in 0..<1_500 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("the condition never held")
}

/// The ledger counts and state of a delivery, read from the store (no sending engine).
private struct LedgerProgress: SendingProgressSource {
    let store: SQLiteStore

    func progress(deliveryID: String) async throws -> SendingProgress {
        guard let delivery = try await store.delivery(id: deliveryID) else {
            throw HeraldError.notFound("delivery '\(deliveryID)' not found")
        }
        return SendingProgress(
            deliveryID: deliveryID, state: delivery.state, counts: try await store.sendingCounts(deliveryID: deliveryID),
            updateTime: Timestamp(seconds: 1)
        )
    }
}

/// A renderer for a server that never prepares.
private struct NoRenderer: MessageRenderer {
    func analyze(_ template: String, part: TemplatePart, trackLinks: Bool) throws(TemplateSyntaxError) -> TemplateAnalysis {
        TemplateAnalysis()
    }

    func compile(_ content: Delivery.Content, options: RenderingOptions) throws(TemplateSyntaxError) -> any CompiledMessage {
        throw TemplateSyntaxError(part: .html, line: 1, column: 1, reason: "this test server does not render")
    }
}

/// A server over `directory`'s database sending to the relay on `relayPort`, signing
/// tracking tokens with ``KPIServiceTests/key``.
private func withKPIHerald<R: Sendable>(
    directory: TemporaryDirectory, relayPort: Int, _ body: (GRPCClient) async throws -> R
) async throws -> R {
    var configuration = HeraldServer.Configuration(
        grpcAddress: "127.0.0.1:0", shutdownGracePeriod: .seconds(1), databasePath: directory.databasePath
    )
    configuration.smtpRelays = ["127.0.0.1:\(relayPort)"]
    configuration.trackingKeys = [KPIServiceTests.key]
    configuration.sending = SendingEngine.Configuration(
        maxInFlight: 2, maxAttempts: 3, retryBase: .milliseconds(10), retryCap: .milliseconds(50), batchSize: 2
    )
    return try await withHerald(configuration: configuration, body)
}

extension GRPCClient {
    /// Reads a WatchKpis stream (at most 60 s) until `done` returns true for an update,
    /// then leaves (cancels the stream).
    fileprivate func watchKPIs(_ id: String, _ done: @Sendable (Herald_V1_KpiUpdate) -> Bool) async throws {
        var request = Herald_V1_WatchKpisRequest()
        request.deliveryId = id
        try await stream(Herald_V1_DeliveryService.watchKpis, request, options: .init(timeout: .seconds(20))) { stream in
            for try await message in stream {
                if done(message.update ?? .init()) { return }
            }
        }
    }
}
