/// A ``DeliveryStore`` in memory, for unit tests.
public actor InMemoryDeliveryStore: DeliveryStore {
    private var deliveries: [ByteKey: Delivery] = [:]

    /// Creates an empty store.
    public init() {}

    public func createDelivery(_ delivery: Delivery) throws {
        let key = ByteKey(delivery.id)
        guard deliveries[key] == nil else {
            throw HeraldError.alreadyExists("delivery '\(delivery.id)' already exists")
        }
        deliveries[key] = delivery
    }

    public func delivery(id: String) -> Delivery? {
        deliveries[ByteKey(id)]
    }

    public func listDeliveries(states: Set<Delivery.State>?, after: String?, limit: Int) -> Page<Delivery> {
        let start = after.map(ByteKey.init)
        let matching = deliveries
            .filter { key, delivery in
                (start == nil || start! < key) && (states?.contains(delivery.state) ?? true)
            }
            .sorted { $0.key < $1.key }
            .map(\.value)
        let items = Array(matching.prefix(max(limit, 0)))
        return Page(items: items, nextCursor: matching.count > items.count ? items.last?.id : nil)
    }

    public func updateDelivery(id: String, _ change: @Sendable (inout Delivery) throws -> Void) throws -> Delivery {
        let key = ByteKey(id)
        guard var delivery = deliveries[key] else { throw HeraldError.notFound("delivery '\(id)' not found") }
        try change(&delivery)
        guard ByteKey(delivery.id) == key else { throw HeraldError.internal("a delivery update changed its id") }
        deliveries[key] = delivery
        return delivery
    }

    public func deleteDelivery(id: String, check: @Sendable (Delivery) throws -> Void) throws {
        let key = ByteKey(id)
        guard let delivery = deliveries[key] else { throw HeraldError.notFound("delivery '\(id)' not found") }
        try check(delivery)
        deliveries[key] = nil
    }
}
