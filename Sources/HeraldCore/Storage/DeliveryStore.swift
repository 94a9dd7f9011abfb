/// Where deliveries live.
///
/// Listings are ordered by `id` (byte-wise) and paged by keyset: the cursor is the last
/// id of a page. Methods throw ``HeraldError``.
public protocol DeliveryStore: Sendable {
    /// Stores a new delivery.
    ///
    /// - Throws: ``HeraldError/Code/alreadyExists`` when the id is taken.
    func createDelivery(_ delivery: Delivery) async throws

    /// The delivery with this id, or `nil`.
    func delivery(id: String) async throws -> Delivery?

    /// Deliveries whose state is in `states` (all when `nil`), ordered by id, after
    /// `after` (exclusive), at most `limit`.
    func listDeliveries(states: Set<Delivery.State>?, after: String?, limit: Int) async throws -> Page<Delivery>

    /// Reads, changes and writes back one delivery atomically: no other change of that
    /// delivery can interleave. `change` must not alter the id; it may throw to abort.
    ///
    /// - Returns: the delivery as written.
    /// - Throws: ``HeraldError/Code/notFound``, or what `change` throws.
    func updateDelivery(
        id: String, _ change: @Sendable (inout Delivery) throws -> Void
    ) async throws -> Delivery

    /// Deletes a delivery atomically after `check` accepted it (it may throw to refuse,
    /// e.g. with ``Delivery/State/checkDeletable()``).
    ///
    /// - Throws: ``HeraldError/Code/notFound``, or what `check` throws.
    func deleteDelivery(id: String, check: @Sendable (Delivery) throws -> Void) async throws
}
