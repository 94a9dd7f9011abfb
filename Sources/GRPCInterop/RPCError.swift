/// A gRPC status that is not OK: a code, a message, and the trailing metadata that
/// went with it. Handlers throw it to end an RPC with that status; clients see it
/// when the server ended the RPC with a status other than OK.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The status code (never ``Code/ok``).
    public var code: Code
    /// A human-readable message, sent as `grpc-message`.
    public var message: String
    /// Trailing metadata sent (server) or received (client) with the status.
    public var metadata: Metadata

    public init(code: Code, message: String, metadata: Metadata = [:]) {
        self.code = code
        self.message = message
        self.metadata = metadata
    }

    public var description: String {
        message.isEmpty ? "\(code)" : "\(code): \(message)"
    }
}

extension RPCError {
    /// A gRPC status code. Extensible: unknown wire values are kept as they are.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The numeric value on the wire (`grpc-status`).
        public let rawValue: Int

        public init(rawValue: Int) {
            self.rawValue = rawValue
        }

        public static let ok = Code(rawValue: 0)
        public static let cancelled = Code(rawValue: 1)
        public static let unknown = Code(rawValue: 2)
        public static let invalidArgument = Code(rawValue: 3)
        public static let deadlineExceeded = Code(rawValue: 4)
        public static let notFound = Code(rawValue: 5)
        public static let alreadyExists = Code(rawValue: 6)
        public static let permissionDenied = Code(rawValue: 7)
        public static let resourceExhausted = Code(rawValue: 8)
        public static let failedPrecondition = Code(rawValue: 9)
        public static let aborted = Code(rawValue: 10)
        public static let outOfRange = Code(rawValue: 11)
        public static let unimplemented = Code(rawValue: 12)
        public static let `internal` = Code(rawValue: 13)
        public static let unavailable = Code(rawValue: 14)
        public static let dataLoss = Code(rawValue: 15)
        public static let unauthenticated = Code(rawValue: 16)

        private static let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
            "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
            "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
            "UNAUTHENTICATED",
        ]

        /// The canonical upper-case name, e.g. `NOT_FOUND`.
        public var description: String {
            Self.names.indices.contains(rawValue) ? Self.names[rawValue] : "CODE_\(rawValue)"
        }
    }
}

/// An error that knows which gRPC status it should become at the service edge.
public protocol RPCErrorConvertible: Error {
    /// The status to send for this error.
    var rpcError: RPCError { get }
}

extension RPCError: RPCErrorConvertible {
    public var rpcError: RPCError { self }
}
