/// Per-call options of a client call.
public struct CallOptions: Sendable {
    /// How long the call may take; the server sees it as its deadline.
    public var timeout: Duration?

    public init(timeout: Duration? = nil) {
        self.timeout = timeout
    }

    /// No timeout.
    public static var defaults: CallOptions { CallOptions() }
}

/// The response of a unary call.
public struct ClientResponse: Sendable {
    /// The serialized response message.
    public var message: [UInt8]
    /// The server's initial metadata.
    public var initialMetadata: Metadata
    /// The server's trailing metadata.
    public var trailingMetadata: Metadata
}
