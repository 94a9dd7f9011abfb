import HeraldCore
import Logging

let testNow = Timestamp(seconds: 1_735_689_600)

/// In-memory stores and an engine over them.
struct EngineFixture {
    let profiles: any ProfileStore
    let deliveries: any DeliveryStore
    let store: any PreparationStore
    let engine: PreparationEngine

    init(
        batchSize: Int = 10, renderer: any MessageRenderer = StubRenderer(),
        deliveries: any DeliveryStore = InMemoryDeliveryStore()
    ) {
        let profiles = InMemoryProfileStore()
        self.profiles = profiles
        self.deliveries = deliveries
        store = InMemoryPreparationStore(profiles: profiles)
        var configuration = PreparationEngine.Configuration.defaults
        configuration.batchSize = batchSize
        engine = PreparationEngine(
            deliveries: deliveries, store: store, renderer: renderer, configuration: configuration, now: { testNow },
            logger: Logger(label: "test")
        )
    }

    /// Profiles `p0000…` with valid distinct addresses.
    func addProfiles(_ count: Int, _ make: (Int) -> Profile = { Profile(id: pid($0), email: "\(pid($0))@example.com", firstName: "N\($0)") }) async throws {
        for base in stride(from: 0, to: count, by: 5_000) {
            _ = try await profiles.upsertProfiles((base..<min(base + 5_000, count)).map(make), at: testNow)
        }
    }

    /// Creates, prepares and waits for a delivery; returns it and every snapshot watched.
    func prepare(_ delivery: Delivery) async throws -> (Delivery, [PreparationProgress]) {
        if try await deliveries.delivery(id: delivery.id) == nil { try await deliveries.createDelivery(delivery) }
        _ = try await engine.prepare(deliveryID: delivery.id)
        var snapshots: [PreparationProgress] = []
        for await progress in try await engine.watch(deliveryID: delivery.id) { snapshots.append(progress) }
        await engine.waitUntilFinished(deliveryID: delivery.id)
        return (try await deliveries.delivery(id: delivery.id)!, snapshots)
    }

    func exclusions(_ deliveryID: String, _ cause: ExclusionCause? = nil) async throws -> [Exclusion] {
        try await store.listExclusions(deliveryID: deliveryID, causes: cause.map { [$0] }, after: nil, limit: 1_000_000).items
    }
}

func pid(_ i: Int) -> String {
    let digits = String(i)
    return "p" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
}

func delivery(
    _ id: String = "d1", rules: [TypologyRule] = [], filter: String = "", subject: String = "Hi {{first_name}}",
    html: String = "<a href=\"{{unsubscribe_url}}\">u</a>"
) -> Delivery {
    Delivery(
        id: id, name: id, content: .init(subject: subject, sender: .init(address: "news@example.com"), htmlBody: html),
        audience: .init(filter: filter), typology: .init(rules: rules)
    )
}
