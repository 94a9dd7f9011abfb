import GRPCInterop
import Testing

@Suite("Deadlines, cancellation, limits and shutdown")
struct LifecycleTests {
    @Test("the handler sees the deadline and is cancelled past it; the client gets DEADLINE_EXCEEDED")
    func deadline() async throws {
        let sawDeadline = Flag()
        let cancelled = Flag()
        var router = RPCRouter()
        router.registerUnary("/test.Slow/Sleep") { request in
            if let deadline = request.context.deadline, deadline < .now + .seconds(5) { sawDeadline.set() }
            do {
                try await Task.sleep(for: .seconds(30))
            } catch {
                cancelled.set()
                throw error
            }
            return ServerResponse(message: [])
        }
        try await withServer(router) { _, client in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(path: "/test.Slow/Sleep", request: [], options: CallOptions(timeout: .milliseconds(300)))
            }
            #expect(error?.code == .deadlineExceeded)
            #expect(await cancelled.wait())
            #expect(sawDeadline.isSet)
        }
    }

    @Test("a client that stops reading a stream cancels the server handler's task")
    func clientCancelsStream() async throws {
        let cancelled = Flag()
        var router = RPCRouter()
        router.registerServerStreaming("/test.Slow/Forever") { _, writer in
            do {
                while true {
                    try await writer.write([1])
                    try await Task.sleep(for: .milliseconds(20))
                }
            } catch {
                cancelled.set()
                throw error
            }
        }
        try await withServer(router) { _, client in
            let first = try await client.serverStreaming(path: "/test.Slow/Forever", request: []) { stream in
                for try await message in stream { return message }
                return []
            }
            #expect(first == [1])
            #expect(await cancelled.wait())
        }
    }

    @Test("cancelling the client task cancels a unary call on both sides")
    func clientTaskCancellation() async throws {
        let started = Flag()
        let cancelled = Flag()
        var router = RPCRouter()
        router.registerUnary("/test.Slow/Sleep") { _ in
            started.set()
            do { try await Task.sleep(for: .seconds(30)) } catch {
                cancelled.set()
                throw error
            }
            return ServerResponse(message: [])
        }
        try await withServer(router) { _, client in
            let task = Task { try await client.unary(path: "/test.Slow/Sleep", request: []) }
            #expect(await started.wait())
            task.cancel()
            let result = await task.result
            #expect(throws: RPCError.self) { try result.get() }
            #expect((try? result.get()) == nil)
            if case .failure(let error as RPCError) = result { #expect(error.code == .cancelled) }
            #expect(await cancelled.wait())
        }
    }

    @Test("a request over the server's maximum message size is RESOURCE_EXHAUSTED")
    func maxMessageSize() async throws {
        var router = RPCRouter()
        router.registerUnary("/test.Echo/Unary") { ServerResponse(message: $0.message) }
        try await withServer(router, configure: { $0.maxReceiveMessageLength = 1024 }) { _, client in
            let small = try await client.unary(path: "/test.Echo/Unary", request: [UInt8](repeating: 7, count: 1000))
            #expect(small.message.count == 1000)
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(path: "/test.Echo/Unary", request: [UInt8](repeating: 7, count: 2048))
            }
            #expect(error?.code == .resourceExhausted)
        }
    }

    @Test("the default limit is 4 MiB")
    func defaultLimit() async throws {
        #expect(GRPCServer.Configuration.defaults.maxReceiveMessageLength == 4 * 1024 * 1024)
        var router = RPCRouter()
        router.registerUnary("/test.Echo/Unary") { ServerResponse(message: Array($0.message.prefix(4))) }
        try await withServer(router) { _, client in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(path: "/test.Echo/Unary", request: [UInt8](repeating: 1, count: 4 * 1024 * 1024 + 1))
            }
            #expect(error?.code == .resourceExhausted)
        }
    }

    @Test("graceful shutdown lets a call in flight finish, refuses new ones, cancels what outlives the grace period")
    func gracefulShutdown() async throws {
        let inFlight = Flag()
        let streamCancelled = Flag()
        var router = RPCRouter()
        router.registerUnary("/test.Slow/Short") { _ in
            inFlight.set()
            try await Task.sleep(for: .milliseconds(300))
            return ServerResponse(message: [42])
        }
        router.registerServerStreaming("/test.Slow/Forever") { _, writer in
            try await writer.write([1])
            do { try await Task.sleep(for: .seconds(60)) } catch {
                streamCancelled.set()
                throw error
            }
            return [:]
        }
        let server = try GRPCServer(
            configuration: .init(address: "127.0.0.1:0", shutdownGracePeriod: .milliseconds(800)),
            router: router, logger: .init(label: "test"))
        let client = GRPCClient(target: "127.0.0.1:\(server.port)")
        let observed = Flag()
        server.onShutdown { observed.set() }
        let serving = Task { await server.serve() }

        let stream = Task {
            try await client.serverStreaming(path: "/test.Slow/Forever", request: []) { stream in
                var count = 0
                do { for try await _ in stream { count += 1 } } catch {}
                return count
            }
        }
        let short = Task { try await client.unary(path: "/test.Slow/Short", request: []) }
        #expect(await inFlight.wait())
        server.beginGracefulShutdown()
        #expect(observed.isSet)
        let response = try await short.value
        #expect(response.message == [42])
        await serving.value
        #expect(streamCancelled.isSet)
        #expect(try await stream.value == 1)

        let error = await #expect(throws: RPCError.self) {
            try await client.unary(path: "/test.Slow/Short", request: [], options: CallOptions(timeout: .seconds(2)))
        }
        #expect(error?.code == .unavailable || error?.code == .deadlineExceeded)
        await client.close()
    }

    @Test("a port that is taken fails to bind with a clear error")
    func bindFailure() async throws {
        let first = try GRPCServer(configuration: .init(address: "127.0.0.1:0"), router: RPCRouter(), logger: .init(label: "test"))
        let error = #expect(throws: RPCError.self) {
            try GRPCServer(configuration: .init(address: "127.0.0.1:\(first.port)"), router: RPCRouter(), logger: .init(label: "test"))
        }
        #expect(error?.message.contains("127.0.0.1:\(first.port)") == true)
        first.beginGracefulShutdown()
    }
}
