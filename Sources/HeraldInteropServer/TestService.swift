import GRPCInterop
import HeraldProtos
import HeraldRPC

/// `grpc.testing.TestService` as the gRPC interoperability test cases for a server
/// expect it: EmptyCall, UnaryCall, StreamingOutputCall and FullDuplexCall, with
/// status echo and metadata echo. UnimplementedCall is left unregistered on purpose
/// (it must answer UNIMPLEMENTED), as is `grpc.testing.UnimplementedService`.
struct TestService {
    static let echoInitialKey = "x-grpc-test-echo-initial"
    static let echoTrailingKey = "x-grpc-test-echo-trailing-bin"

    func register(into router: inout RPCRouter) {
        router.register(Grpc_Testing_TestService.emptyCall) { _, _ in Grpc_Testing_Empty() }

        router.registerUnary(Grpc_Testing_TestService.unaryCall.path) { request in
            let input = try decode(Grpc_Testing_SimpleRequest.self, request.message)
            let (initial, trailing) = Self.echoedMetadata(request.metadata)
            if let status = input.responseStatus, status.code != 0 {
                throw RPCError(code: .init(rawValue: Int(status.code)), message: status.message, metadata: trailing)
            }
            var response = Grpc_Testing_SimpleResponse()
            response.payload = Self.payload(size: input.responseSize)
            return ServerResponse(message: response.serializedBytes(), initialMetadata: initial, trailingMetadata: trailing)
        }

        router.registerServerStreaming(Grpc_Testing_TestService.streamingOutputCall.path) { request, writer in
            let input = try decode(Grpc_Testing_StreamingOutputCallRequest.self, request.message)
            let (initial, trailing) = Self.echoedMetadata(request.metadata)
            try await writer.sendInitialMetadata(initial)
            try await Self.respond(to: input, writer: writer)
            if let status = input.responseStatus, status.code != 0 {
                throw RPCError(code: .init(rawValue: Int(status.code)), message: status.message, metadata: trailing)
            }
            return trailing
        }

        router.registerBidirectionalStreaming(Grpc_Testing_TestService.fullDuplexCall.path) { requests, writer, context in
            let (initial, trailing) = Self.echoedMetadata(context.metadata)
            try await writer.sendInitialMetadata(initial)
            for try await bytes in requests {
                let input = try decode(Grpc_Testing_StreamingOutputCallRequest.self, bytes)
                if let status = input.responseStatus, status.code != 0 {
                    throw RPCError(code: .init(rawValue: Int(status.code)), message: status.message, metadata: trailing)
                }
                try await Self.respond(to: input, writer: writer)
            }
            return trailing
        }
    }

    private static func respond(to input: Grpc_Testing_StreamingOutputCallRequest, writer: ServerResponseWriter) async throws {
        for parameters in input.responseParameters {
            if parameters.intervalUs > 0 {
                try await Task.sleep(for: .microseconds(Int(parameters.intervalUs)))
            }
            var response = Grpc_Testing_StreamingOutputCallResponse()
            response.payload = payload(size: parameters.size)
            try await writer.write(response.serializedBytes())
        }
    }

    private static func payload(size: Int32) -> Grpc_Testing_Payload {
        var payload = Grpc_Testing_Payload()
        payload.type = .compressable
        payload.body = [UInt8](repeating: 0, count: Int(max(0, size)))
        return payload
    }

    /// The initial and trailing metadata the client asked to have echoed.
    private static func echoedMetadata(_ metadata: Metadata) -> (initial: Metadata, trailing: Metadata) {
        var initial: Metadata = [:]
        for value in metadata[stringValues: echoInitialKey] { initial.add(echoInitialKey, value) }
        var trailing: Metadata = [:]
        for value in metadata[binaryValues: echoTrailingKey] { trailing.add(echoTrailingKey, binary: value) }
        return (initial, trailing)
    }
}

private func decode<Message: ProtobufMessage>(_ type: Message.Type, _ bytes: [UInt8]) throws -> Message {
    do {
        return try Message(serializedBytes: bytes)
    } catch {
        throw RPCError(code: .invalidArgument, message: "not a valid \(Message.protoMessageName): \(error)")
    }
}
