public import GRPCInterop
public import HeraldProtos

extension RPCRouter {
    /// Registers a unary method that takes and returns generated message types.
    /// A request that does not decode is answered with INVALID_ARGUMENT.
    public mutating func register<Input, Output>(
        _ method: ProtoMethod<Input, Output>,
        handler: @escaping @Sendable (Input, ServerContext) async throws -> Output
    ) {
        precondition(!method.isServerStreaming && !method.isClientStreaming, "\(method.path) is not unary")
        registerUnary(method.path) { request in
            let input = try Input.decodeRequest(request.message, method: method.path)
            let output = try await handler(input, request.context)
            return ServerResponse(message: output.serializedBytes())
        }
    }

    /// Registers a server-streaming method that takes and writes generated message types.
    public mutating func register<Input, Output>(
        _ method: ProtoMethod<Input, Output>,
        handler: @escaping @Sendable (Input, MessageWriter<Output>, ServerContext) async throws -> Void
    ) {
        precondition(method.isServerStreaming && !method.isClientStreaming, "\(method.path) is not server-streaming")
        registerServerStreaming(method.path) { request, writer in
            let input = try Input.decodeRequest(request.message, method: method.path)
            try await handler(input, MessageWriter(writer), request.context)
            return [:]
        }
    }
}

/// Writes generated messages to a server stream, one at a time (each write waits
/// until the core took the previous one).
public struct MessageWriter<Message: ProtobufMessage>: Sendable {
    private let writer: ServerResponseWriter

    public init(_ writer: ServerResponseWriter) {
        self.writer = writer
    }

    public func write(_ message: Message) async throws {
        try await writer.write(message.serializedBytes())
    }
}

extension ProtobufMessage {
    static func decodeRequest(_ bytes: [UInt8], method: String) throws -> Self {
        do {
            return try Self(serializedBytes: bytes)
        } catch {
            throw RPCError(code: .invalidArgument, message: "the request of \(method) is not a valid \(protoMessageName): \(error)")
        }
    }
}
