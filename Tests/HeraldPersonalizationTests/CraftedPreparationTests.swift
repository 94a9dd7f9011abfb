import Foundation
import HeraldCore
import HeraldPersonalization
import HeraldStore
import Logging
import Testing

/// The crafted population through the engine and the Mustache renderer, on the in-memory
/// stores and on SQLite on a real file: every count is known exactly.
@Suite("Preparation of the crafted population")
struct CraftedPreparationTests {
    private static func engine(_ deliveries: any DeliveryStore, _ store: any PreparationStore, batchSize: Int = 7) -> PreparationEngine {
        var configuration = PreparationEngine.Configuration.defaults
        configuration.batchSize = batchSize
        configuration.trackingBaseURL = "https://t.example.com/"
        return PreparationEngine(
            deliveries: deliveries, store: store, renderer: MustacheMessageRenderer(), configuration: configuration,
            now: { CraftedPopulation.now }, logger: Logger(label: "test")
        )
    }

    @Test("in memory")
    func inMemory() async throws {
        let profiles = InMemoryProfileStore()
        let deliveries = InMemoryDeliveryStore()
        let store = InMemoryPreparationStore(profiles: profiles)
        try await CraftedPopulation.load(profiles: profiles, deliveries: deliveries, store: store)
        try await check(engine: Self.engine(deliveries, store), deliveries: deliveries, store: store, profiles: profiles)
    }

    @Test("on SQLite", arguments: [7, 5_000])
    func sqlite(batchSize: Int) async throws {
        try await withTemporarySQLiteStore { sqlite in
            try await CraftedPopulation.load(profiles: sqlite, deliveries: sqlite, store: sqlite)
            try await check(engine: Self.engine(sqlite, sqlite, batchSize: batchSize), deliveries: sqlite, store: sqlite, profiles: sqlite)
        }
    }

    private func check(
        engine: PreparationEngine, deliveries: any DeliveryStore, store: any PreparationStore, profiles: any ProfileStore
    ) async throws {
        let started = try await engine.prepare(deliveryID: "crafted")
        #expect(started.state == .preparing)
        let watch = try await engine.watch(deliveryID: "crafted")
        var snapshots: [PreparationProgress] = []
        var logged: [PreparationLogEntry] = []
        for await progress in watch {
            snapshots.append(progress)
            logged += progress.newLogEntries
        }
        await engine.waitUntilFinished(deliveryID: "crafted")

        // Every snapshot: targeted = to_deliver + to_exclude, and counts add up.
        for s in snapshots {
            #expect(s.kpis.targeted == s.kpis.toDeliver + s.kpis.toExclude)
            #expect(s.kpis.toDeliver >= 0)
        }
        let last = try #require(snapshots.last)
        #expect(last.state == .succeeded)
        #expect(last.kpis.targeted == CraftedPopulation.targeted)
        #expect(last.kpis.exclusionCounts == CraftedPopulation.expected)
        #expect(last.kpis.toDeliver == CraftedPopulation.toDeliver)

        // The delivery and its summary.
        let delivery = try #require(try await deliveries.delivery(id: "crafted"))
        #expect(delivery.state == .ready)
        let summary = try #require(delivery.preparation)
        #expect(summary.state == .succeeded)
        #expect(summary.targeted == 61 && summary.toDeliver == 32 && summary.toExclude == 29)
        #expect(summary.exclusionCounts == CraftedPopulation.expected)
        #expect(summary.errorCount == 0)
        #expect(summary.warningCount == 1)  // the personalization error
        #expect(summary.snapshotHash == delivery.snapshotHash)
        #expect(summary.phase == .finalizing)

        // Exclusions, per cause, through small pages.
        for (cause, count) in CraftedPopulation.expected {
            var all: [Exclusion] = []
            var cursor: String?
            repeat {
                let page = try await store.listExclusions(deliveryID: "crafted", causes: [cause], after: cursor, limit: 2)
                all += page.items
                cursor = page.nextCursor
            } while cursor != nil
            #expect(all.count == count, "\(cause)")
            #expect(all.allSatisfy { $0.cause == cause })
            #expect(all.map(\.profileID) == all.map(\.profileID).sorted())
        }
        let duplicates = try await store.listExclusions(deliveryID: "crafted", causes: [.duplicate], after: nil, limit: 10)
        #expect(duplicates.items.map(\.profileID) == ["d002", "d003", "d004"])
        let limited = try await store.listExclusions(deliveryID: "crafted", causes: [.targetLimited], after: nil, limit: 10)
        #expect(limited.items.map(\.profileID) == ["c038", "c039", "c040", "d001", "v001"])
        #expect(limited.items.allSatisfy { $0.ruleName == "cap" })
        let pressure = try await store.listExclusions(deliveryID: "crafted", causes: [.excludedAfterArbitration], after: nil, limit: 10)
        #expect(pressure.items.map(\.profileID) == ["c001", "c002"])
        let failed = try await store.listExclusions(deliveryID: "crafted", causes: [.personalizationError], after: nil, limit: 10)
        #expect(failed.items.map(\.profileID) == ["a001"])
        let everything = try await store.listExclusions(deliveryID: "crafted", causes: nil, after: nil, limit: 1000)
        #expect(everything.items.count == 29)

        // The ledger: PENDING rows of the kept profiles, re-rendered identically at send time.
        let messages = try await store.listMessages(deliveryID: "crafted", statuses: [.pending], after: nil, limit: 1000)
        #expect(messages.items.count == 32)
        let excludedIDs = Set(everything.items.map(\.profileID))
        #expect(messages.items.allSatisfy { !excludedIDs.contains($0.profileID) })
        let compiled = try MustacheMessageRenderer().compile(delivery.content, options: await engine.renderingOptions(for: delivery))
        let first = try #require(messages.items.first)
        let profile = try #require(try await profiles.profile(id: first.profileID))
        let rendered = try compiled.render(profile, identity: first.identity)
        #expect(rendered.subject == "Hello \(profile.firstName)")
        #expect(rendered.html.contains("https://t.example.com/c/crafted.\(first.sequence).c0"))
        #expect(rendered.html.contains("https://t.example.com/o/crafted.\(first.sequence).o"))
        #expect(rendered.html.contains("href=\"https://t.example.com/u/crafted.\(first.sequence).u\""))
        #expect(try compiled.render(profile, identity: first.identity) == rendered)

        // The log: persisted like streamed, the summary last, one WARNING.
        let stored = try await store.listLogEntries(deliveryID: "crafted", minimumSeverity: nil, after: nil, limit: 1000)
        #expect(stored.items == logged)
        #expect(stored.items.last?.code == PreparationLogCode.summary)
        let warnings = try await store.listLogEntries(deliveryID: "crafted", minimumSeverity: .warning, after: nil, limit: 1000)
        #expect(warnings.items.map(\.code) == [PreparationLogCode.personalizationError])
        #expect(warnings.items.first?.profileID == "a001")
    }
}

/// Opens a SQLite store on a fresh file, runs `body`, closes it and removes the file.
func withTemporarySQLiteStore<T>(_ body: (SQLiteStore) async throws -> T) async throws -> T {
    let directory = NSTemporaryDirectory() + "herald-personalization-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = try SQLiteStore(path: directory + "/herald.sqlite", logger: Logger(label: "test"))
    do {
        let result = try await body(store)
        try store.close()
        return result
    } catch {
        try? store.close()
        throw error
    }
}
