import GRPCInterop
import Testing

@Suite("Unary and server-streaming calls over loopback")
struct ServerClientTests {
    static func echoRouter() -> RPCRouter {
        var router = RPCRouter()
        router.registerUnary("/test.Echo/Unary") { request in
            var initial: Metadata = [:]
            for (key, value) in request.metadata where key.hasPrefix("x-echo") {
                initial.add(key, value: value)
            }
            var trailing: Metadata = ["x-trailer": "done"]
            trailing.add("x-trailer-bin", binary: [0, 1, 2, 255])
            return ServerResponse(message: request.message.reversed(), initialMetadata: initial, trailingMetadata: trailing)
        }
        router.registerServerStreaming("/test.Echo/Stream") { request, writer in
            let count = Int(String(decoding: request.message, as: UTF8.self)) ?? 0
            try await writer.sendInitialMetadata(["x-count": .string("\(count)")])
            for index in 0..<count {
                try await writer.write(Array("message \(index)"))
            }
            return ["x-written": .string("\(count)")]
        }
        router.registerUnary("/test.Echo/Fail") { request in
            throw RPCError(
                code: .failedPrecondition, message: "not now: \(String(decoding: request.message, as: UTF8.self))",
                metadata: ["x-reason": "state"])
        }
        router.registerUnary("/test.Echo/Crash") { _ in
            struct Internal: Error {}
            throw Internal()
        }
        return router
    }

    @Test("a unary call returns the response and both metadata sets, ASCII and -bin")
    func unaryEcho() async throws {
        try await withServer(Self.echoRouter()) { _, client in
            var metadata: Metadata = ["x-echo-text": .string("héllo wörld".asciiSafe)]
            metadata.add("x-echo-data-bin", binary: [0, 0xFF, 0x10, 0x00, 0x7F])
            let response = try await client.unary(path: "/test.Echo/Unary", request: [1, 2, 3], metadata: metadata)
            #expect(response.message == [3, 2, 1])
            #expect(response.initialMetadata.first("x-echo-text") == "héllo wörld".asciiSafe)
            #expect(response.initialMetadata[binaryValues: "x-echo-data-bin"] == [[0, 0xFF, 0x10, 0x00, 0x7F]])
            #expect(response.trailingMetadata.first("x-trailer") == "done")
            #expect(response.trailingMetadata[binaryValues: "x-trailer-bin"] == [[0, 1, 2, 255]])
        }
    }

    @Test("empty and large (1 MiB) messages go through unchanged")
    func sizes() async throws {
        try await withServer(Self.echoRouter()) { _, client in
            let empty = try await client.unary(path: "/test.Echo/Unary", request: [])
            #expect(empty.message.isEmpty)
            let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let response = try await client.unary(path: "/test.Echo/Unary", request: large)
            #expect(response.message == large.reversed())
        }
    }

    @Test("a thrown RPCError reaches the client with its code, message and trailers")
    func statusAndMessage() async throws {
        try await withServer(Self.echoRouter()) { _, client in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(path: "/test.Echo/Fail", request: Array("x"))
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message == "not now: x")
            #expect(error?.metadata.first("x-reason") == "state")
        }
    }

    @Test("any other error becomes UNKNOWN without leaking its description")
    func unknownError() async throws {
        try await withServer(Self.echoRouter()) { _, client in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(path: "/test.Echo/Crash", request: [])
            }
            #expect(error?.code == .unknown)
            #expect(error?.message.contains("Internal") == false)
        }
    }

    @Test("unknown methods and services answer UNIMPLEMENTED", arguments: ["/test.Echo/Nope", "/no.Such/Service"])
    func unimplemented(path: String) async throws {
        try await withServer(Self.echoRouter()) { _, client in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(path: path, request: [])
            }
            #expect(error?.code == .unimplemented)
            #expect(error?.message.contains(path) == true)
        }
    }

    @Test("a server stream delivers every message in order, then the trailers")
    func serverStreaming() async throws {
        try await withServer(Self.echoRouter()) { _, client in
            let (messages, initial, trailing) = try await client.serverStreaming(path: "/test.Echo/Stream", request: Array("500")) { stream in
                var messages: [String] = []
                for try await message in stream { messages.append(String(decoding: message, as: UTF8.self)) }
                return (messages, try await stream.initialMetadata, stream.trailingMetadata)
            }
            #expect(messages == (0..<500).map { "message \($0)" })
            #expect(initial.first("x-count") == "500")
            #expect(trailing?.first("x-written") == "500")
        }
    }

    @Test("an empty server stream ends at once with OK")
    func emptyStream() async throws {
        try await withServer(Self.echoRouter()) { _, client in
            let count = try await client.serverStreaming(path: "/test.Echo/Stream", request: Array("0")) { stream in
                var count = 0
                for try await _ in stream { count += 1 }
                return count
            }
            #expect(count == 0)
        }
    }

    @Test("hundreds of concurrent unary calls all complete")
    func concurrency() async throws {
        try await withServer(Self.echoRouter()) { _, client in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<400 {
                    group.addTask {
                        let request = Array("\(index)")
                        let response = try await client.unary(path: "/test.Echo/Unary", request: request)
                        return response.message == request.reversed()
                    }
                }
                var ok = 0
                for try await result in group where result { ok += 1 }
                #expect(ok == 400)
            }
        }
    }
}

extension String {
    /// Metadata values are ASCII on the wire: keep the test's value printable ASCII.
    var asciiSafe: String { String(unicodeScalars.map { $0.isASCII ? Character($0) : "?" }) }
}
