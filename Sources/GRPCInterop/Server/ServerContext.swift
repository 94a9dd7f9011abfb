/// The context of one server call.
public struct ServerContext: Sendable {
    /// The full method path, e.g. `/grpc.health.v1.Health/Check`.
    public let method: String
    /// The request metadata.
    public let metadata: Metadata
    /// When the client's deadline passes (the handler's task is cancelled then), or
    /// `nil` when the client set none.
    public let deadline: ContinuousClock.Instant?
    private let call: ServerCall

    init(method: String, metadata: Metadata, deadline: ContinuousClock.Instant?, call: ServerCall) {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.call = call
    }

    /// The peer's address as the core reports it, e.g. `ipv4:127.0.0.1:53412`.
    public var peer: String { call.peer }

    /// True once the client went away, cancelled, or the deadline passed.
    public var isCancelled: Bool { call.isCancelled }
}
