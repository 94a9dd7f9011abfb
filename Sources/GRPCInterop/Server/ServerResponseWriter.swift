/// Writes the messages of a server-streaming response, one at a time.
///
/// Each ``write(_:)`` waits until the core has taken the message (one outstanding
/// write per stream): a slow reader slows the writer down instead of filling memory.
public struct ServerResponseWriter: Sendable {
    private let call: ServerCall

    init(call: ServerCall) {
        self.call = call
    }

    /// Sends the response's initial metadata now. Optional: the first write sends
    /// empty initial metadata otherwise. Call it at most once, before any write.
    public func sendInitialMetadata(_ metadata: Metadata) async throws {
        try await call.sendInitialMetadata(metadata)
    }

    /// Writes one serialized message. Throws ``RPCError`` with code CANCELLED when the
    /// call is gone (client cancelled, deadline passed, server shutting down).
    public func write(_ message: [UInt8]) async throws {
        try await call.write(message)
    }
}
