/// One RPC method of a generated service: its HTTP/2 path and its streaming shape, typed
/// by its request and response messages.
public struct ProtoMethod<Input: ProtobufMessage, Output: ProtobufMessage>: Sendable, Hashable {
    /// "/package.Service/Method", the `:path` of the gRPC call.
    public let path: String
    /// The server sends a stream of responses.
    public let isServerStreaming: Bool
    /// The client sends a stream of requests.
    public let isClientStreaming: Bool

    public init(path: String, isServerStreaming: Bool, isClientStreaming: Bool) {
        self.path = path
        self.isServerStreaming = isServerStreaming
        self.isClientStreaming = isClientStreaming
    }

    /// "package.Service".
    public var serviceName: String {
        String(path.dropFirst().prefix { $0 != "/" })
    }

    /// "Method".
    public var methodName: String {
        String(path.reversed().prefix { $0 != "/" }.reversed())
    }
}
