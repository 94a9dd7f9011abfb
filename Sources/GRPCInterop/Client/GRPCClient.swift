internal import CGRPC
import Synchronization

/// A client of one gRPC server over a plaintext HTTP/2 channel on the gRPC core.
///
/// The client owns one channel and one completion queue with its poller thread.
/// Call ``close()`` when done (also cancels what is still running).
public final class GRPCClient: Sendable {
    private let core: ClientCore

    /// Creates a channel to `target` (`host:port`, e.g. `127.0.0.1:50051`). The
    /// connection is made on the first call.
    public init(target: String, configuration: Configuration = .defaults) {
        core = ClientCore(target: target, configuration: configuration)
    }

    /// The target this client talks to.
    public var target: String { core.target }

    /// Makes a unary call: one request, one response. Throws ``RPCError`` for any
    /// status but OK. Cancelling the calling task cancels the call.
    public func unary(
        path: String, request: [UInt8], metadata: Metadata = [:], options: CallOptions = .defaults
    ) async throws -> ClientResponse {
        let call = try core.makeCall(path: path, options: options)
        return try await call.unary(request: request, metadata: metadata)
    }

    /// Makes a server-streaming call and lends its response stream to `body`. When
    /// `body` returns or throws before the stream ended, the call is cancelled.
    public func serverStreaming<Result: Sendable>(
        path: String, request: [UInt8], metadata: Metadata = [:], options: CallOptions = .defaults,
        _ body: (ClientResponseStream) async throws -> Result
    ) async throws -> Result {
        let call = try core.makeCall(path: path, options: options)
        try await call.startStreaming(request: request, metadata: metadata)
        let stream = ClientResponseStream(call: call)
        do {
            let result = try await body(stream)
            call.cancel()
            return result
        } catch {
            call.cancel()
            throw error
        }
    }

    /// Closes the channel: calls in flight are cancelled, new calls fail with
    /// UNAVAILABLE.
    public func close() async {
        await core.close()
    }
}

/// The response messages of a server-streaming call, in order. Iteration ends
/// normally when the server ended the call with OK and throws ``RPCError``
/// otherwise; the trailers are then in ``trailingMetadata``.
public struct ClientResponseStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    private let call: ClientCall

    init(call: ClientCall) {
        self.call = call
    }

    /// The server's initial metadata (waits for it).
    public var initialMetadata: Metadata {
        get async throws { try await call.initialMetadata() }
    }

    /// The trailing metadata, once the stream has ended.
    public var trailingMetadata: Metadata? { call.trailingMetadata }

    /// Cancels the call; the iteration then throws CANCELLED.
    public func cancel() { call.cancel() }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(call: call)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let call: ClientCall

        public mutating func next() async throws -> [UInt8]? {
            try await call.nextMessage()
        }
    }
}
