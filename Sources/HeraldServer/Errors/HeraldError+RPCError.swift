public import GRPCInterop
public import HeraldCore

/// The one place where domain errors become gRPC statuses (API.md, "Errors").
///
/// The message is the domain error's English message; the cause is never sent to the
/// client (``RPCRouter/register(_:logger:handler:)`` logs it for internal errors).
extension HeraldError: RPCErrorConvertible {
    public var rpcError: RPCError {
        RPCError(code: Self.rpcCode(for: code), message: message)
    }

    /// The gRPC status code for a domain error code.
    static func rpcCode(for code: Code) -> RPCError.Code {
        switch code {
        case .invalidArgument: .invalidArgument
        case .notFound: .notFound
        case .alreadyExists: .alreadyExists
        case .failedPrecondition: .failedPrecondition
        case .resourceExhausted: .resourceExhausted
        case .unavailable: .unavailable
        case .unauthenticated: .unauthenticated
        case .internal: .internal
        default: .unknown
        }
    }
}
