/// The methods a ``GRPCServer`` serves, by full path (`/package.Service/Method`).
///
/// Every method is registered with the gRPC core before the server starts, so its
/// request arrives with the call. A path that is not registered gets UNIMPLEMENTED.
public struct RPCRouter: Sendable {
    /// Handles a unary RPC: one request message in, one response out.
    public typealias UnaryHandler = @Sendable (ServerRequest) async throws -> ServerResponse

    /// Handles a server-streaming RPC: one request in, any number of messages written
    /// to the writer; the returned metadata is sent as trailers with status OK.
    public typealias ServerStreamingHandler = @Sendable (ServerRequest, ServerResponseWriter) async throws -> Metadata

    /// Handles a bidirectional-streaming RPC: reads the request stream and writes
    /// responses as it goes; the returned metadata is sent as trailers with status OK.
    /// (Herald's own API is unary and server-streaming; server reflection needs this.)
    public typealias BidirectionalStreamingHandler =
        @Sendable (ServerRequestStream, ServerResponseWriter, ServerContext) async throws -> Metadata

    enum Handler: Sendable {
        case unary(UnaryHandler)
        case serverStreaming(ServerStreamingHandler)
        case bidirectionalStreaming(BidirectionalStreamingHandler)

        /// Whether the core reads the single request message together with the call.
        var readsPayloadWithCall: Bool {
            if case .bidirectionalStreaming = self { return false }
            return true
        }
    }

    private(set) var handlers: [String: Handler] = [:]

    public init() {}

    /// Registers a unary method. A later registration of the same path replaces it.
    public mutating func registerUnary(_ path: String, handler: @escaping UnaryHandler) {
        handlers[path] = .unary(handler)
    }

    /// Registers a server-streaming method.
    public mutating func registerServerStreaming(_ path: String, handler: @escaping ServerStreamingHandler) {
        handlers[path] = .serverStreaming(handler)
    }

    /// Registers a bidirectional-streaming method.
    public mutating func registerBidirectionalStreaming(_ path: String, handler: @escaping BidirectionalStreamingHandler) {
        handlers[path] = .bidirectionalStreaming(handler)
    }

    /// The registered paths, sorted.
    public var paths: [String] { handlers.keys.sorted() }
}

/// What a handler receives: the request message's bytes, its metadata and context.
public struct ServerRequest: Sendable {
    /// The serialized request message.
    public var message: [UInt8]
    /// The call's context: method, deadline, metadata, peer.
    public var context: ServerContext

    /// The request metadata (shorthand for `context.metadata`).
    public var metadata: Metadata { context.metadata }
}

/// What a unary handler returns.
public struct ServerResponse: Sendable {
    /// The serialized response message.
    public var message: [UInt8]
    /// Metadata sent before the message.
    public var initialMetadata: Metadata
    /// Metadata sent with the OK status.
    public var trailingMetadata: Metadata

    public init(message: [UInt8], initialMetadata: Metadata = [:], trailingMetadata: Metadata = [:]) {
        self.message = message
        self.initialMetadata = initialMetadata
        self.trailingMetadata = trailingMetadata
    }
}
