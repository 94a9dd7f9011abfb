/// Remembers the first result of a mutating call per `request_id`, so that a retry with
/// the same id returns that result instead of acting again.
///
/// Records are keyed by request id and method name (e.g. `herald.v1.DeliveryService/CreateDelivery`);
/// the result is opaque bytes (the serialized response). Two calls racing with the same
/// new request id may both act; the first recorded result is the one kept and returned.
public protocol IdempotencyStore: Sendable {
    /// The recorded result for this request id and method, or `nil`.
    func idempotentResult(requestID: String, method: String) async throws -> [UInt8]?

    /// Records `result` unless a result is already recorded, and returns the recorded one
    /// (the first).
    func recordIdempotentResult(
        requestID: String, method: String, result: [UInt8], at time: Timestamp
    ) async throws -> [UInt8]

    /// Forgets the records made before `time`; returns how many were removed.
    func purgeIdempotencyRecords(before time: Timestamp) async throws -> Int
}
