/// Where the KPI board reads a delivery's sending progress (ledger counts, state,
/// throughput). ``SendingEngine`` is one; tests use a double.
public protocol SendingProgressSource: Sendable {
    /// The current state, counts and throughput of a delivery.
    ///
    /// - Throws: ``HeraldError`` (``HeraldError/Code/notFound`` when it does not exist).
    func progress(deliveryID: String) async throws -> SendingProgress
}
