import HeraldCore
import HeraldProtos

/// Runs mutating calls at most once per `request_id`: a retry with the same id gets the
/// first call's response (recorded in the ``IdempotencyStore``), not a second effect.
/// Only successful responses are recorded; a call that failed may be retried.
struct Idempotency: Sendable {
    let store: any IdempotencyStore
    let now: @Sendable () -> Timestamp

    /// The longest accepted `request_id`, in UTF-8 bytes.
    static let maxRequestIDLength = 256

    func run<Response: ProtobufMessage>(
        requestID: String, method: String, _ body: () async throws -> Response
    ) async throws -> Response {
        guard !requestID.isEmpty else { return try await body() }
        guard requestID.utf8.count <= Self.maxRequestIDLength else {
            throw HeraldError.invalidArgument("request_id is longer than \(Self.maxRequestIDLength) bytes")
        }
        if let recorded = try await store.idempotentResult(requestID: requestID, method: method) {
            return try Self.decode(recorded, method: method)
        }
        let response = try await body()
        let first = try await store.recordIdempotentResult(
            requestID: requestID, method: method, result: response.serializedBytes(), at: now()
        )
        return try Self.decode(first, method: method)
    }

    private static func decode<Response: ProtobufMessage>(_ bytes: [UInt8], method: String) throws -> Response {
        do {
            return try Response(serializedBytes: bytes)
        } catch {
            throw HeraldError.internal("the recorded result of \(method) does not decode", cause: error)
        }
    }
}
