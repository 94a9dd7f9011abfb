public import GRPCInterop
public import HeraldProtos

extension GRPCClient {
    /// Calls a unary method with generated message types.
    public func call<Input, Output>(
        _ method: ProtoMethod<Input, Output>, _ request: Input,
        metadata: Metadata = [:], options: CallOptions = .defaults
    ) async throws -> Output {
        let response = try await unary(path: method.path, request: request.serializedBytes(), metadata: metadata, options: options)
        return try Output.decodeResponse(response.message, method: method.path)
    }

    /// Calls a server-streaming method and lends the typed response stream to `body`;
    /// the call is cancelled when `body` returns before the stream ended.
    public func stream<Input, Output, Result: Sendable>(
        _ method: ProtoMethod<Input, Output>, _ request: Input,
        metadata: Metadata = [:], options: CallOptions = .defaults,
        _ body: (MessageStream<Output>) async throws -> Result
    ) async throws -> Result {
        try await serverStreaming(path: method.path, request: request.serializedBytes(), metadata: metadata, options: options) { stream in
            try await body(MessageStream(stream, method: method.path))
        }
    }
}

/// A typed server stream: decodes each message as it arrives.
public struct MessageStream<Message: ProtobufMessage>: AsyncSequence, Sendable {
    public typealias Element = Message
    private let stream: ClientResponseStream
    private let method: String

    init(_ stream: ClientResponseStream, method: String) {
        self.stream = stream
        self.method = method
    }

    /// Cancels the call.
    public func cancel() { stream.cancel() }

    /// The trailing metadata once the stream ended.
    public var trailingMetadata: Metadata? { stream.trailingMetadata }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), method: method)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: ClientResponseStream.AsyncIterator
        let method: String

        public mutating func next() async throws -> Message? {
            guard let bytes = try await base.next() else { return nil }
            return try Message.decodeResponse(bytes, method: method)
        }
    }
}

extension ProtobufMessage {
    static func decodeResponse(_ bytes: [UInt8], method: String) throws -> Self {
        do {
            return try Self(serializedBytes: bytes)
        } catch {
            throw RPCError(code: .internal, message: "the response of \(method) is not a valid \(protoMessageName): \(error)")
        }
    }
}
