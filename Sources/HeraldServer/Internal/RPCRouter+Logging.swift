import GRPCInterop
import HeraldCore
import HeraldProtos
import HeraldRPC
import Logging

extension RPCRouter {
    /// Registers a unary handler of a Herald service: like the HeraldRPC registration,
    /// and a ``HeraldError`` of code internal or unavailable is logged with its cause
    /// before it is answered (the client only sees the message).
    mutating func register<Input, Output>(
        _ method: ProtoMethod<Input, Output>, logger: Logger,
        handler: @escaping @Sendable (Input, ServerContext) async throws -> Output
    ) {
        register(method) { (request: Input, context: ServerContext) async throws -> Output in
            do {
                return try await handler(request, context)
            } catch let error as HeraldError where error.code == .internal || error.code == .unavailable {
                logger.error(
                    "\(error.message)",
                    metadata: ["grpc.method": "\(method.path)", "error": "\(error.cause.map { String(describing: $0) } ?? "")"]
                )
                throw error
            }
        }
    }
}
