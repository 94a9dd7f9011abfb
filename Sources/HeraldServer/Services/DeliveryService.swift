public import GRPCInterop
public import HeraldCore
import HeraldProtos
public import Logging

/// `herald.v1.DeliveryService`: deliveries from draft to sent.
///
/// The RPCs come in groups, each in its own file with its own `register…(into:)`:
/// CRUD (`DeliveryService+CRUD.swift`), preparation (`DeliveryService+Preparation.swift`)
/// sending (`DeliveryService+Sending.swift`) and KPIs (`DeliveryService+KPIs.swift`). ``register(into:)`` registers every group.
public struct DeliveryService: Sendable {
    /// The listing name inside ListDeliveries page tokens.
    static let pageTokenKind = "deliveries"

    let deliveries: any DeliveryStore
    let preparations: any PreparationStore
    let engine: PreparationEngine
    let sending: SendingEngine?
    let ledger: (any SendingStore)?
    let kpis: KPIBoard?
    let idempotency: Idempotency
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// Creates the service over its stores and the preparation engine (which the caller
    /// owns: it recovers and shuts it down), the sending engine and its ledger (the
    /// sending RPCs answer UNAVAILABLE without them), the KPI board (which the caller runs;
    /// without it WatchKpis answers UNAVAILABLE and deliveries carry no live KPIs); `now`
    /// is the clock (the system's by default).
    public init(
        deliveries: any DeliveryStore, preparations: any PreparationStore, engine: PreparationEngine,
        sending: SendingEngine? = nil, ledger: (any SendingStore)? = nil, kpis: KPIBoard? = nil,
        idempotency: any IdempotencyStore, logger: Logger, now: (@Sendable () -> Timestamp)? = nil
    ) {
        let now = now ?? SystemClock.now
        self.deliveries = deliveries
        self.preparations = preparations
        self.engine = engine
        self.sending = sending
        self.ledger = ledger
        self.kpis = kpis
        self.idempotency = Idempotency(store: idempotency, now: now)
        self.now = now
        self.logger = logger
    }

    /// Registers every implemented RPC of the service.
    public func register(into router: inout RPCRouter) {
        registerCRUD(into: &router)
        registerPreparation(into: &router)
        registerSending(into: &router)
        registerKPIs(into: &router)
    }

    /// The id of a request; `field` names it in the error.
    static func requiredID(_ id: String, field: String = "delivery_id") throws(HeraldError) -> String {
        guard !id.isEmpty else { throw .invalidArgument("\(field) is required") }
        return id
    }
}
