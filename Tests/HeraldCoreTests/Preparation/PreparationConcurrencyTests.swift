@testable import HeraldCore
import Synchronization
import Testing

/// Where the engine renders, and the hand-offs between a run, its stop and its watchers.
@Suite("Preparation engine: threads and hand-offs")
struct PreparationConcurrencyTests {
    /// A ``StubRenderer`` that counts the messages it measures and those measured off the
    /// preparation threads.
    struct RecordingRenderer: MessageRenderer {
        let counts = Counts()

        final class Counts: Sendable {
            let state = Mutex<(rendered: Int, offThreads: Int)>((0, 0))
        }

        struct Compiled: CompiledMessage {
            let inner: any CompiledMessage
            let counts: Counts
            var trackedLinks: [String] { [] }

            func render(_ profile: Profile, identity: MessageIdentity) throws(PersonalizationError) -> RenderedMessage {
                let onThread = PreparationEngine.isOnPreparationThread
                counts.state.withLock { $0.rendered += 1; if !onThread { $0.offThreads += 1 } }
                return try inner.render(profile, identity: identity)
            }
        }

        func analyze(_ template: String, part: TemplatePart, trackLinks: Bool) throws(TemplateSyntaxError) -> TemplateAnalysis {
            try StubRenderer().analyze(template, part: part, trackLinks: trackLinks)
        }

        func compile(_ content: Delivery.Content, options: RenderingOptions) throws(TemplateSyntaxError) -> any CompiledMessage {
            Compiled(inner: try StubRenderer().compile(content, options: options), counts: counts)
        }
    }

    /// An in-memory delivery store whose updates fail once armed.
    final class FailingDeliveryStore: DeliveryStore {
        let inner = InMemoryDeliveryStore()
        let armed = Mutex(false)

        func createDelivery(_ delivery: Delivery) async throws { try await inner.createDelivery(delivery) }
        func delivery(id: String) async throws -> Delivery? { await inner.delivery(id: id) }
        func listDeliveries(states: Set<Delivery.State>?, after: String?, limit: Int) async throws -> Page<Delivery> {
            await inner.listDeliveries(states: states, after: after, limit: limit)
        }
        func updateDelivery(id: String, _ change: @Sendable (inout Delivery) throws -> Void) async throws -> Delivery {
            if armed.withLock({ $0 }) { throw HeraldError.internal("the store is unavailable") }
            return try await inner.updateDelivery(id: id, change)
        }
        func deleteDelivery(id: String, check: @Sendable (Delivery) throws -> Void) async throws {
            try await inner.deleteDelivery(id: id, check: check)
        }
    }

    @Test("every message is rendered on the preparation threads, never on the cooperative pool")
    func rendersOffTheCooperativePool() async throws {
        let renderer = RecordingRenderer()
        let f = EngineFixture(batchSize: 100, renderer: renderer)
        try await f.addProfiles(1_000)
        let (prepared, _) = try await f.prepare(delivery())
        #expect(prepared.state == .ready)
        let counts = renderer.counts.state.withLock { $0 }
        #expect(counts.rendered == 1_000)
        #expect(counts.offThreads == 0)
        #expect(!PreparationEngine.isOnPreparationThread)
    }

    @Test("a stop whose reset fails still ends the run's watchers, and the delivery can be stopped again")
    func failedStopEndsWatchers() async throws {
        let store = FailingDeliveryStore()
        let f = EngineFixture(batchSize: 10, deliveries: store)
        try await f.addProfiles(2_000)
        try await f.deliveries.createDelivery(delivery())
        _ = try await f.engine.prepare(deliveryID: "d1")
        let watch = try await f.engine.watch(deliveryID: "d1")
        // The watcher runs in its own task: before the fix it waited forever for a final
        // snapshot; a bounded wait turns that hang into a failure.
        let watcher = Task { () -> PreparationProgress? in
            var last: PreparationProgress?
            for await progress in watch { last = progress }
            return last
        }
        var stopFailed = false
        for await progress in try await f.engine.watch(deliveryID: "d1") where progress.phase == .targeting && progress.processed >= 50 {
            store.armed.withLock { $0 = true }
            do {
                _ = try await f.engine.stop(deliveryID: "d1")
            } catch {
                stopFailed = true
            }
            break
        }
        #expect(stopFailed)
        let ended = await withTaskGroup(of: Bool.self) { group in
            group.addTask { _ = await watcher.value; return true }
            group.addTask {
                // Past the bound, the watcher is cancelled so that the test ends (and fails).
                try? await Task.sleep(for: .seconds(60))
                watcher.cancel()
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(ended, "the watch did not end after a failed stop")
        #expect(await watcher.value?.state.isFinal == true)
        // The store is back: the delivery, still PREPARING, is stopped for good.
        store.armed.withLock { $0 = false }
        let stopped = try await f.engine.stop(deliveryID: "d1")
        #expect(stopped.state == .draft)
        // And it can be prepared again.
        let (prepared, _) = try await f.prepare(delivery())
        #expect(prepared.state == .ready)
    }
}
