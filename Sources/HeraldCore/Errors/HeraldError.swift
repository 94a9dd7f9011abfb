/// The error every Herald domain operation throws.
///
/// A `HeraldError` carries an extensible ``Code`` (the category a caller acts on), a
/// human-readable English message, and optionally the underlying error that caused
/// it. Domain errors are mapped to gRPC status codes only at the service edge.
public struct HeraldError: Error, Sendable, CustomStringConvertible {
    /// The category of a ``HeraldError``.
    ///
    /// New codes may be added; switch over them with a `default` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidArgument
            case notFound
            case alreadyExists
            case failedPrecondition
            case resourceExhausted
            case unavailable
            case unauthenticated
            case `internal`
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// A request field, filter, template or batch is malformed.
        public static let invalidArgument = Code(.invalidArgument)
        /// The addressed resource does not exist.
        public static let notFound = Code(.notFound)
        /// A resource with that identity already exists.
        public static let alreadyExists = Code(.alreadyExists)
        /// The resource is not in a state that allows the operation.
        public static let failedPrecondition = Code(.failedPrecondition)
        /// A size or quota limit was exceeded.
        public static let resourceExhausted = Code(.resourceExhausted)
        /// The service cannot serve the request now (for example while shutting down).
        public static let unavailable = Code(.unavailable)
        /// The caller is not authenticated.
        public static let unauthenticated = Code(.unauthenticated)
        /// An invariant was broken or a dependency failed unexpectedly.
        public static let `internal` = Code(.internal)

        /// The code's name in lower camel case, e.g. `invalidArgument`.
        public var description: String {
            switch wrapped {
            case .invalidArgument: "invalidArgument"
            case .notFound: "notFound"
            case .alreadyExists: "alreadyExists"
            case .failedPrecondition: "failedPrecondition"
            case .resourceExhausted: "resourceExhausted"
            case .unavailable: "unavailable"
            case .unauthenticated: "unauthenticated"
            case .internal: "internal"
            }
        }
    }

    /// The category of the error.
    public var code: Code
    /// A clear English message for the caller.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// `"<code>: <message>"`, followed by the cause when there is one.
    public var description: String {
        if let cause {
            return "\(code): \(message) (cause: \(String(describing: cause)))"
        }
        return "\(code): \(message)"
    }
}

extension HeraldError {
    /// An ``Code/invalidArgument`` error.
    public static func invalidArgument(_ message: String, cause: (any Error)? = nil) -> HeraldError {
        HeraldError(code: .invalidArgument, message: message, cause: cause)
    }

    /// A ``Code/notFound`` error.
    public static func notFound(_ message: String) -> HeraldError {
        HeraldError(code: .notFound, message: message)
    }

    /// An ``Code/alreadyExists`` error.
    public static func alreadyExists(_ message: String) -> HeraldError {
        HeraldError(code: .alreadyExists, message: message)
    }

    /// A ``Code/failedPrecondition`` error.
    public static func failedPrecondition(_ message: String) -> HeraldError {
        HeraldError(code: .failedPrecondition, message: message)
    }

    /// An ``Code/internal`` error.
    public static func `internal`(_ message: String, cause: (any Error)? = nil) -> HeraldError {
        HeraldError(code: .internal, message: message, cause: cause)
    }
}
